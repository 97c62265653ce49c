/* Internals shared by the derivation driver (derive.c), the families of
 * kinds (kind_*.c), the gates (gates.c) and the review filter (review.c).
 * Not part of the corpus module's API. */
#ifndef QZ_DERIVE_INT_H
#define QZ_DERIVE_INT_H
#include "corpus/derive.h"
#include "corpus/lexicon.h"
#include "corpus/pack.h"
#include "corpus/parse.h"
#include "corpus/text.h"

#define MAX_PER_LINE 1          /* served questions per source line: no near-duplicates */
#define MAX_SNIPPET_LINES 18    /* code kinds: longest snippet shown */

/* A derived question before the gates; the pack takes q's strings. */
struct cand {
    struct qz_question q;
    int line;                  /* source line (for caps and errata) */
    int line_end;
    const char *gate;          /* NULL = accepted, else the reason it is not served */
    bool edited;               /* changed by a review override */
};

/* Derivation state: the corpus, its lexicon, the answer being derived and
 * every candidate so far. */
struct ctx {
    struct corpus *c;
    struct lexicon lex;
    const struct category *cat;
    const struct cquestion *cq;
    int *errata;
    size_t n_errata;
    struct cand *v;
    size_t n, cap;
};

/* A family of kinds: derives candidates from block bi of x->cq (or, for
 * per-answer derivers, from the whole answer, bi unused). */
typedef void derive_fn(struct ctx *x, size_t bi);

/* candidate.c */
/* Appends a candidate of `kind` for the current answer, with a stable id
 * "<kind>-cCC-qQQ-NN" (NN counts that kind in the answer). */
struct cand *derive__new_cand(struct ctx *x, const char *kind, int line, int line_end);
/* Sets options: correct first in opts, then shuffled deterministically by id.
 * The candidate takes the strings. */
void derive__set_options(struct cand *c, char **opts, int n);
/* Sets options in the given order (a scale: versions, complexities). */
void derive__set_options_in_order(struct cand *c, char **opts, int n, int correct);
char *derive__first_sentence(const struct block *bl);
/* The "why" of a question drawn from a list of named entries: the answer's
 * own entry, then each other option's in the order shown, so the reveal
 * teaches what tells them apart ("Generator: a lazy iterator ... The other
 * options: Iterator — any object with __next__; ..."). Call it after
 * derive__set_options: opts[] are the strings given to it (opts[0] the
 * answer), descs[i] is opts[i]'s text ("" = none). Returns a malloc'd
 * string of at most max bytes: every other option is named (each entry
 * clipped shorter until all fit) or, when they cannot all fit, none. */
char *derive__contrast_why(const struct qz_question *q, char *const *opts, char *const *descs,
                           int n, size_t max);
/* The longest contrast "why": what the host's reveal shows beside the
 * options on a 1024x768 projector without pushing its controls off screen. */
#define CONTRAST_WHY_MAX 290
/* First sentence of the next prose block after block index b (or ""). */
char *derive__next_prose_sentence(const struct cquestion *q, size_t b);
/* Copy of s with the first whole-word occurrence of term replaced by with. */
char *derive__replace_once(const char *s, const char *term, const char *with);

/* Up to max sentences of q's prose that state something about term (they
 * mention it), in order, skipping `skip`, list headings (ending in ':') and
 * fragments. A malloc'd string, or NULL when no sentence mentions it. */
char *derive__rule_sentences(const struct cquestion *q, const char *term, const char *skip, int max);
/* The prose sentence of q sharing the most names and keywords with code
 * (the rule a snippet illustrates), or NULL when none shares any. */
char *derive__best_sentence(const struct cquestion *q, const char *code);
/* True when s has no verb: a "Label: a, b, c" heading or list, not a sentence. */
bool derive__is_fragment(const char *s);
/* True when a word of option echoes a word of text (equal, or a shared
 * prefix: "attr" / "Attribute", "microcontrollers" / "MicroPython"). */
bool derive__shares_word(const char *option, const char *text);
/* Every distractor shares a word the answer lacks ("Exception middleware",
 * "View middleware", "Response middleware" against "View function/class"):
 * the answer is the odd one out, a cue for a player who knows nothing. */
bool derive__odd_one_out(const struct qz_question *q);
/* Sets c's four options: the answer and the first three of cands (hash
 * order, up to the first ten tried) that leave no surface cue. Returns 0, or
 * -1 with c->gate set to the reason when no such set exists. */
int derive__finish_options(struct ctx *x, struct cand *c, const char *answer, const struct strv *cands);

/* kind_code.c: code_output, code_raises, code_blank */
derive_fn derive__code_results, derive__code_blank;
/* kind_prose.c: cloze, define, tool */
derive_fn derive__cloze, derive__define, derive__tool;
/* kind_facts.c: version, order, complexity */
derive_fn derive__version, derive__order, derive__complexity;

/* gates.c: the reason q may not be served, or NULL. lex (may be NULL)
 * supplies the partner pairs. */
const char *derive__gate(const struct lexicon *lex, const struct qz_question *q);
/* The surface-cue rules alone: the answer is the only option sharing a word,
 * prefix or partner with the prompt or code, or the only one of its form or
 * case. Returns the reason or NULL. */
const char *derive__surface_cue(const struct lexicon *lex, const struct qz_question *q);

/* review.c */
void derive__load_errata(struct ctx *x, const char *path, struct report *rep);
bool derive__in_errata(const struct ctx *x, int l0, int l1);
void derive__apply_overrides(struct ctx *x, const char *path, struct derive_stats *st,
                             struct report *rep);

#endif
