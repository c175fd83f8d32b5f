/* fields.h — the members each topic's messages must have, with their JSON
 * types, checked before a transform reads them. The lists mirror the
 * required properties of the schemas/ files, so a message a stage
 * accepts is one its schema accepts (at the top level), and a message that
 * is not goes to the dead-letter topic with missing_field or wrong_type. */
#ifndef SP_FIELDS_H
#define SP_FIELDS_H

#include <jansson.h>

#include "jsonscan.h"
#include "stage.h"

enum {
    SP_T_STRING = 1 << 0,
    SP_T_INTEGER = 1 << 1,
    SP_T_OBJECT = 1 << 2,
    SP_T_ARRAY = 1 << 3,
    SP_T_BOOL = 1 << 4,
    SP_T_NULL = 1 << 5,
    SP_T_REAL = 1 << 6, /* a number with a fraction or an exponent */
};

typedef struct sp_field {
    const char *name;
    unsigned types; /* SP_T_* allowed; a member that is absent is always missing */
} sp_field;

/* The SP_T_* type of a jansson value, and of a raw member (sp_json_members). */
unsigned sp_json_type(json_t *v);
unsigned sp_member_type(const sp_member *m);

/* 0 when every field of the {NULL}-terminated list is present with an
 * allowed type; else -1 with `fail` set: missing_field when absent (or null
 * where null is not allowed), wrong_type otherwise. */
int sp_check_fields(json_t *obj, const sp_field *fields, sp_fail *fail);

/* sp_check_fields for a raw message's top-level members (sp_json_members):
 * the same verdicts, reasons (missing_field, wrong_type) and details. A
 * message that is not an object has no members, as jansson finds none. */
int sp_check_members(const sp_members *m, const sp_field *fields, sp_fail *fail);

/* The checks for each topic's messages: 0 ok, -1 with `fail` set. */
int sp_check_raw(json_t *doc, sp_fail *fail);     /* news.raw */
int sp_check_clean(json_t *doc, sp_fail *fail);   /* news.clean */
int sp_check_story(json_t *story, sp_fail *fail); /* news.stories */
int sp_check_story_members(const sp_members *m, sp_fail *fail); /* news.stories, raw */

/* A story's fields, in the order sp_check_story() checks them. */
enum {
    SP_STORY_ID, SP_STORY_DOC_ID, SP_STORY_POSITION, SP_STORY_TITLE, SP_STORY_SUMMARY, SP_STORY_BODY,
    SP_STORY_URL, SP_STORY_CANONICAL_URL, SP_STORY_OUTLET, SP_STORY_PHOTO_CREDIT, SP_STORY_PUBLISHED_AT,
    SP_STORY_LANGUAGE, SP_STORY_SOURCE, SP_STORY_DOC_URL, SP_STORY_WORDPRESS, SP_STORY_SPLITTER,
    SP_STORY_FIELDS
};

/* sp_check_story_members, and the members it found on the way, by field
 * (found[SP_STORY_BODY] the body): for a stage that reads some of them,
 * no second lookup. All are set when it returns 0. */
int sp_check_story_found(const sp_members *m, const sp_member *found[SP_STORY_FIELDS], sp_fail *fail);

#endif
