# embed.cmake — write a text file (a Redis Lua script) into a C source as a
# string constant, so that the binary carries it and the source stays a
# readable .lua file.
#   cmake -DINPUT=decide.lua -DOUTPUT=decide_lua.c -DNAME=dedup_decide_lua -P embed.cmake
file(READ "${INPUT}" text)
string(REPLACE "\\" "\\\\" text "${text}")
string(REPLACE "\"" "\\\"" text "${text}")
string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
get_filename_component(name "${INPUT}" NAME)
file(WRITE "${OUTPUT}" "/* GENERATED from ${name} by cmake/embed.cmake: edit the .lua file. */\n"
     "const char ${NAME}[] =\n    \"${text}\";\n")
