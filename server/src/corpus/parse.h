/* Parser of the interview-page format: categories ("Name" / blank /
 * "N questions"), numbered questions ("1What is ...", accepted only with the
 * expected next number), and each answer's lines classified and merged into
 * blocks (prose, code, bullet, numbered item). Works on repaired text. */
#ifndef QZ_PARSE_H
#define QZ_PARSE_H
#include <stddef.h>

enum block_kind { BLK_PROSE, BLK_CODE, BLK_BULLET, BLK_NUMBERED };

struct block {
    enum block_kind kind;
    char *text;          /* owned; code blocks keep their newlines; items lose their marker */
    int line_start;      /* 1-based corpus lines */
    int line_end;
    int number;          /* numbered items: the item number */
};

struct cquestion {
    int number;          /* 1-based inside its category */
    int line;            /* heading line */
    char *title;         /* owned */
    struct block *blocks;
    size_t n_blocks;
};

struct category {
    char *name;          /* owned */
    int index;           /* 1-based */
    int declared;        /* the "N questions" count */
    struct cquestion *qs;
    size_t n_qs;
};

struct corpus {
    struct category *cats;
    size_t n_cats;
    char **lines;        /* repaired lines, index 0 = line 1 */
    size_t n_lines;
    size_t repaired;     /* damaged sequences repaired */
};

/* Parses text (any encoding damage is repaired first). Returns 0, or -1 when
 * no category is found. The corpus owns everything; free with corpus_free. */
int corpus_parse(const char *text, size_t len, struct corpus *c);
void corpus_free(struct corpus *c);
size_t corpus_question_count(const struct corpus *c);

/* Line classification, exposed for tests. */
int parse_is_code_line(const char *line);

#endif
