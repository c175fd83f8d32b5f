/* envelope.h — what every storypipe message must be before a transform sees
 * it (non-empty, within the size limit, UTF-8, a JSON object with a known
 * schema_version), and the dead-letter record for one that is not. */
#ifndef SP_ENVELOPE_H
#define SP_ENVELOPE_H

#include <jansson.h>
#include <stddef.h>

#include "jsonscan.h"
#include "stage.h"

/* Parse and check one input. Returns the object, or NULL with `fail` set to
 * one of: empty, too_large, invalid_utf8, invalid_json, not_object,
 * missing_field, wrong_type, unknown_schema_version. */
json_t *sp_envelope_parse(const void *buf, size_t len, size_t max_bytes, sp_fail *fail);

/* The same checks with the same reason codes, without building the JSON
 * (for raw transforms). 0 ok, -1 with `fail` set. With `members`, the
 * message's top-level members are left there as sp_json_members() finds
 * them (none when the check fails). */
int sp_envelope_check(const void *buf, size_t len, size_t max_bytes, sp_members *members, sp_fail *fail);

/* Keys longer than this are not copied into dead letters. */
#define SP_DLQ_MAX_KEY 1024

/* The news.dlq record for an input: stage, reason, detail, where the input
 * came from and its original bytes (base64), of which only the first `keep`
 * are kept when keep < len (original_truncated). */
json_t *sp_dlq_record(const char *stage, const sp_fail *fail, const sp_input *in,
                      const void *key, size_t key_len, const void *orig, size_t len, size_t keep);

#endif
