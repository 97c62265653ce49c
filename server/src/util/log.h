/* One line per event: "<time> <level> <event> key=value ...", level-filtered
 * before formatting. libwebsockets' own log is routed here too (net/). */
#ifndef QZ_LOG_H
#define QZ_LOG_H

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

extern int log_level_current;

/* Parses "error|warn|info|debug"; returns the level or -1. */
int log_level_parse(const char *s);
void log_emit(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Emits a line whose text comes from elsewhere (lws); strips the trailing newline. */
void log_emit_raw(int level, const char *prefix, const char *text);

#define log_at(lvl, ...)                                                                           \
    do {                                                                                           \
        if ((lvl) <= log_level_current)                                                            \
            log_emit((lvl), __VA_ARGS__);                                                          \
    } while (0)
#define log_err(...) log_at(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_at(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_at(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)

#endif
