/* fields.c — required members of each topic's messages (see fields.h). */
#include "fields.h"

#define NULLABLE_STRING (SP_T_STRING | SP_T_NULL)

/* What raw and clean documents share. */
static const sp_field document_fields[] = {
    {"doc_id", SP_T_STRING}, {"source", SP_T_OBJECT}, {"url", NULLABLE_STRING},
    {"canonical_url", NULLABLE_STRING}, {"content_type", SP_T_STRING}, {"fetched_at", SP_T_STRING},
    {"title", NULLABLE_STRING}, {"excerpt", NULLABLE_STRING}, {"published_at", NULLABLE_STRING},
    {"modified_at", NULLABLE_STRING}, {"wordpress", SP_T_OBJECT | SP_T_NULL}, {NULL, 0}};

static const sp_field raw_fields[] = {{"body", SP_T_STRING}, {"fetcher_version", SP_T_STRING}, {NULL, 0}};

static const sp_field clean_fields[] = {{"text", SP_T_STRING}, {"word_count", SP_T_INTEGER},
                                        {"links", SP_T_ARRAY}, {"cleaner_version", SP_T_STRING},
                                        {NULL, 0}};

/* by their SP_STORY_* (fields.h), so that sp_check_story_found() hands the
 * members over in that order */
static const sp_field story_fields[SP_STORY_FIELDS + 1] = {
    [SP_STORY_ID] = {"story_id", SP_T_STRING},
    [SP_STORY_DOC_ID] = {"doc_id", SP_T_STRING},
    [SP_STORY_POSITION] = {"position", SP_T_INTEGER},
    [SP_STORY_TITLE] = {"title", NULLABLE_STRING},
    [SP_STORY_SUMMARY] = {"summary", NULLABLE_STRING},
    [SP_STORY_BODY] = {"body", SP_T_STRING},
    [SP_STORY_URL] = {"url", NULLABLE_STRING},
    [SP_STORY_CANONICAL_URL] = {"canonical_url", NULLABLE_STRING},
    [SP_STORY_OUTLET] = {"outlet", NULLABLE_STRING},
    [SP_STORY_PHOTO_CREDIT] = {"photo_credit", NULLABLE_STRING},
    [SP_STORY_PUBLISHED_AT] = {"published_at", NULLABLE_STRING},
    [SP_STORY_LANGUAGE] = {"language", NULLABLE_STRING},
    [SP_STORY_SOURCE] = {"source", SP_T_OBJECT},
    [SP_STORY_DOC_URL] = {"doc_url", NULLABLE_STRING},
    [SP_STORY_WORDPRESS] = {"wordpress", SP_T_OBJECT | SP_T_NULL},
    [SP_STORY_SPLITTER] = {"splitter", SP_T_OBJECT},
    [SP_STORY_FIELDS] = {NULL, 0}};

unsigned sp_json_type(json_t *v) {
    switch (json_typeof(v)) {
    case JSON_STRING: return SP_T_STRING;
    case JSON_INTEGER: return SP_T_INTEGER;
    case JSON_REAL: return SP_T_REAL;
    case JSON_OBJECT: return SP_T_OBJECT;
    case JSON_ARRAY: return SP_T_ARRAY;
    case JSON_TRUE:
    case JSON_FALSE: return SP_T_BOOL;
    case JSON_NULL: return SP_T_NULL;
    }
    return 0;
}

unsigned sp_member_type(const sp_member *m) {
    switch (m->type) {
    case 's': return SP_T_STRING;
    case 'i': return SP_T_INTEGER;
    case 'r': return SP_T_REAL;
    case 'o': return SP_T_OBJECT;
    case 'a': return SP_T_ARRAY;
    case 'b': return SP_T_BOOL;
    case 'n': return SP_T_NULL;
    default: return 0;
    }
}

/* Looks up member `name` of a message: its SP_T_* type, 0 when absent. */
typedef unsigned (*member_type_fn)(void *msg, const char *name);

static unsigned json_member_type(void *msg, const char *name) {
    json_t *v = json_object_get(msg, name);
    return v ? sp_json_type(v) : 0;
}

/* A raw message's members, looked up in the fields' order: most messages
 * have them in that order too (sp_members_next). */
typedef struct raw_cursor {
    const sp_members *m;
    size_t next;
    const sp_member **found; /* each field's member, in the fields' order, or NULL */
    size_t n_found;
} raw_cursor;

static unsigned raw_member_type(void *msg, const char *name) {
    raw_cursor *c = msg;
    const sp_member *mb = sp_members_next(c->m, name, &c->next);
    if (c->found) c->found[c->n_found++] = mb;
    return mb ? sp_member_type(mb) : 0;
}

/* The check itself, for either form of message: every field present (not
 * null unless allowed) with an allowed type. */
static int check_fields(void *msg, member_type_fn member_type, const sp_field *fields, sp_fail *fail) {
    for (const sp_field *f = fields; f->name; f++) {
        unsigned t = member_type(msg, f->name);
        if (t == 0 || (t == SP_T_NULL && !(f->types & SP_T_NULL))) {
            sp_fail_set(fail, "missing_field", "%s is %s", f->name, t ? "null" : "missing");
            return -1;
        }
        if (!(t & f->types)) {
            sp_fail_set(fail, "wrong_type", "%s has the wrong type", f->name);
            return -1;
        }
    }
    return 0;
}

int sp_check_fields(json_t *obj, const sp_field *fields, sp_fail *fail) {
    return check_fields(obj, json_member_type, fields, fail);
}

int sp_check_members(const sp_members *m, const sp_field *fields, sp_fail *fail) {
    raw_cursor c = {m, 0, NULL, 0};
    return check_fields(&c, raw_member_type, fields, fail);
}

int sp_check_raw(json_t *doc, sp_fail *fail) {
    return sp_check_fields(doc, document_fields, fail) ? -1 : sp_check_fields(doc, raw_fields, fail);
}

int sp_check_clean(json_t *doc, sp_fail *fail) {
    return sp_check_fields(doc, document_fields, fail) ? -1 : sp_check_fields(doc, clean_fields, fail);
}

int sp_check_story(json_t *story, sp_fail *fail) { return sp_check_fields(story, story_fields, fail); }

int sp_check_story_members(const sp_members *m, sp_fail *fail) { return sp_check_members(m, story_fields, fail); }

int sp_check_story_found(const sp_members *m, const sp_member *found[SP_STORY_FIELDS], sp_fail *fail) {
    raw_cursor c = {m, 0, found, 0};
    return check_fields(&c, raw_member_type, story_fields, fail);
}
