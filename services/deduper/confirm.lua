-- confirm.lua — a story's emission reached Kafka (its transaction committed,
-- or its output was acknowledged): its record goes from pending to
-- confirmed, so a later replay is recognised and not emitted again. Only
-- the revision that was emitted is confirmed (the content must match).
--   KEYS[1] the record bucket   ARGV[1] the record field   ARGV[2] content (8 bytes)
-- Record layout: see decide.lua ('>BBHHc8': decision, state, revision, day, content).
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v and string.byte(v, 2) == 1 and string.sub(v, 7, 14) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], string.sub(v, 1, 1) .. '\2' .. string.sub(v, 3))
  return 1
end
return 0
