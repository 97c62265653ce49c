/* libFuzzer targets: the corpus parser (with repair and derivation's text
 * paths), each importer, the pack validator, the wire decoder and the whole
 * derivation engine (kinds, lexicon, gates) on an arbitrary corpus. Built with
 * -DQZ_FUZZ=ON (clang); FUZZ_TARGET selects the entry point at compile time. */
#include "corpus/derive.h"
#include "corpus/import.h"
#include "corpus/pack.h"
#include "corpus/parse.h"
#include "qz/proto.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = 0;
    struct report rep;
    report_init(&rep);
#if FUZZ_TARGET == 1
    struct corpus c;
    corpus_parse(buf, size, &c);
    corpus_free(&c);
#elif FUZZ_TARGET >= 2 && FUZZ_TARGET <= 4
    size_t skipped;
    enum import_format f = FUZZ_TARGET == 2 ? IMPORT_OPENTDB : FUZZ_TARGET == 3 ? IMPORT_AIKEN : IMPORT_CSV;
    qz_pack_destroy(import_buffer(f, buf, size, "fuzz", NULL, NULL, &rep, &skipped));
#elif FUZZ_TARGET == 5
    qz_pack_destroy(pack_load_buffer(buf, size, "fuzz.json", &rep));
#elif FUZZ_TARGET == 6
    struct proto_req r;
    struct proto_error e;
    proto_decode(buf, size, &r, &e);
#elif FUZZ_TARGET == 7
    /* The corpus text straight from libFuzzer's buffer, unterminated (no
     * temporary file per input); the bundled lexicon, no errata, no overrides. */
    struct derive_paths dp = {.corpus = "fuzz.txt"};
    struct derive_stats st;
    qz_pack_destroy(derive_pack_buffer((const char *)data, size, &dp, &st, &rep));
#endif
    report_cleanup(&rep);
    free(buf);
    return 0;
}
