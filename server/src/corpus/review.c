/* The review filter: the errata list of corpus lines and the reviewed
 * overrides (reject / edit with a reason). */
#include "derive_int.h"
#include "pysrc.h"
#include "repair.h"
#include "util/xmalloc.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

void derive__load_errata(struct ctx *x, const char *path, struct report *rep)
{
    if (!path)
        return;
    FILE *f = fopen(path, "r");
    if (!f) {
        report_add(rep, "%s: file: cannot open the errata list", path);
        return;
    }
    char line[512];
    int ln = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        int a, b;
        int n = sscanf(line, "%d-%d", &a, &b);
        if (n < 1 || a <= 0) {
            report_add(rep, "%s:%d: line: expected a corpus line number or range", path, ln);
            continue;
        }
        if (n < 2)
            b = a;
        for (int k = a; k <= b && k < a + 200; k++) {
            x->errata = xrealloc(x->errata, (x->n_errata + 1) * sizeof *x->errata);
            x->errata[x->n_errata++] = k;
        }
    }
    fclose(f);
}

bool derive__in_errata(const struct ctx *x, int l0, int l1)
{
    for (size_t i = 0; i < x->n_errata; i++)
        if (x->errata[i] >= l0 && x->errata[i] <= l1)
            return true;
    return false;
}

static struct cand *find_cand(struct ctx *x, const char *id)
{
    for (size_t i = 0; i < x->n; i++)
        if (!strcmp(x->v[i].q.id, id))
            return &x->v[i];
    return NULL;
}

/* Overrides: {"format":"quizd-overrides/1","overrides":[{"id","action":"reject"|"edit",
 * "reason", "prompt"?, "options"?: {"1": "text"}, "explanation"?, "difficulty"?}]} */
void derive__apply_overrides(struct ctx *x, const char *path, struct derive_stats *st, struct report *rep)
{
    if (!path)
        return;
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        report_add(rep, "%s:%d: json: %s", path, je.line, je.text);
        return;
    }
    json_t *arr = json_object_get(root, "overrides");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *o = json_array_get(arr, i);
        const char *id = json_string_value(json_object_get(o, "id"));
        const char *action = json_string_value(json_object_get(o, "action"));
        const char *reason = json_string_value(json_object_get(o, "reason"));
        if (!id || !action || !reason || !reason[0]) {
            report_add(rep, "%s:%zu: override: id, action and reason are required", path, i + 1);
            continue;
        }
        struct cand *c = find_cand(x, id);
        if (!c) {
            report_add(rep, "%s:%zu: id: no derived question %s (stale override)", path, i + 1, id);
            continue;
        }
        if (!strcmp(action, "reject")) {
            if (!c->gate) {
                c->gate = "rejected by review";
                st->rejected_by_review++;
            }
            continue;
        }
        if (strcmp(action, "edit")) {
            report_add(rep, "%s:%zu: action: must be \"reject\" or \"edit\"", path, i + 1);
            continue;
        }
        const char *s;
        if ((s = json_string_value(json_object_get(o, "prompt")))) {
            free(c->q.prompt);
            c->q.prompt = xstrdup(s);
        }
        if ((s = json_string_value(json_object_get(o, "explanation")))) {
            free(c->q.explanation);
            c->q.explanation = xstrdup(s);
        }
        if (json_is_integer(json_object_get(o, "difficulty")))
            c->q.difficulty = (int)json_integer_value(json_object_get(o, "difficulty"));
        json_t *opts = json_object_get(o, "options");
        const char *key;
        json_t *val;
        json_object_foreach(opts, key, val)
        {
            int k = atoi(key);
            if (k >= 0 && k < c->q.n_options && json_is_string(val) && k != c->q.correct) {
                free(c->q.options[k]);
                c->q.options[k] = xstrdup(json_string_value(val));
            } else {
                report_add(rep, "%s:%zu: options.%s: must name a distractor index", path, i + 1, key);
            }
        }
        st->edited_by_review++;
        c->edited = true;
    }
    json_decref(root);
}
