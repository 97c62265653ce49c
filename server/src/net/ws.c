/* The WebSocket callback: it only adapts. Frames in are reassembled
 * (session.c), rate-limited, decoded (protocol/) and handed to rooms/;
 * frames out are queued per connection (txq.c) and written by lws_write,
 * the only call in quizd that touches a socket. */
#include "adapter.h"

#include "qz/texts.h"
#include "util/err.h"
#include "util/log.h"
#include "util/origin.h"

#include <string.h>
#include <sys/socket.h>

static struct conn *conn_of(struct member *m)
{
    return (struct conn *)((char *)m - offsetof(struct conn, m));
}

static const char *room_of(const struct conn *c)
{
    return c->m.room ? room_code(c->m.room) : "-";
}

/* Through rooms/, which keeps it behind an answer_ack (or any frame) still
 * held for this connection waiting for a commit. */
static void send_error(struct conn *c, int code, const char *message, bool has_req, int64_t req)
{
    size_t len;
    char *j = proto_enc_error(code, message, has_req, req, &len);
    if (code <= 0 && code > -QZ_ERR_SLOTS)
        c->srv->stats.errors[-code]++;
    struct frame *f = frame_take(j, len);
    if (c->srv->rooms)
        rooms_send_unrecorded(c->srv->rooms, &c->m, f);
    else
        ws_send(c->srv, &c->m, f);
    frame_unref(f);
}

void ws_close(struct conn *c, uint16_t code)
{
    if (!c->established || c->closing)
        return;
    c->closing = true;
    c->close_code = code;
    /* A peer that never becomes writable is killed by the timeout; at
     * shutdown, by the grace period instead (app/process.c). Each
     * lws_set_timeout is an insertion into one list sorted by deadline and
     * walked from its head (core-net/sorted-usec-list.c:51-65, lws_dll2_
     * add_sorted), and every new deadline is the latest: closing 15,000
     * connections that way is 15,000^2/2 steps, which blocked the loop for
     * seconds (2.57 s to exit, issue 11 item 8), past the grace, so no 1001
     * went out at all. */
    if (!c->srv->shutting_down)
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, 3);
    lws_callback_on_writable(c->wsi);
}

/* ------------------------------------------------------------------ */
/* the write path                                                      */

/* Why writing outside WRITEABLE is correct with libwebsockets 4.1.6 (read
 * in its source, git tag v4.1.6; docs/write-path.md has the long form):
 *
 * 1. Nothing on the lws_write path needs the WRITEABLE callback: lws_write
 *    -> rops_write_role_protocol_ws -> lws_issue_raw (core-net/output.c:
 *    234-290, roles/ws/ops-ws.c:1573-1911). The ws header goes into the
 *    LWS_PRE headroom (ops-ws.c:1784-1815) and is the same bytes for every
 *    recipient (server frames are unmasked, ops-ws.c:1581, 1750), so one
 *    shared frame serves all; no extension is negotiated (we pass none), so
 *    lws_issue_raw_ext_access sends our buffer unchanged (ws/ext/
 *    extension.c:247-297). lws_write does not close the wsi: on a socket
 *    error it returns -1 (output.c:127-130), so fanning out over a room's
 *    member list never has that list change under it.
 * 2. Partial writes: with nothing already buffered, lws_issue_raw sends
 *    what the socket takes (one send() of at most tx_packet_size, output.c:
 *    106-120), copies the remainder into the connection's buflist_out
 *    (output.c:204-215; the copy is lws's own, core/buflist.c:62-75, so the
 *    shared frame may be released at once), asks for POLLOUT (output.c:229)
 *    and reports the whole length as written (output.c:231, ops-ws.c:
 *    1888-1892). So lws_write returns the full length or < 0, never a
 *    short count, as long as we never call it while a remainder is held.
 * 3. Order: while a remainder is held, lws_partial_buffered() is true
 *    (core-net/wsi.c:431-434, a flag test). On POLLOUT lws sends that
 *    remainder before anything else (core-net/service.c:80-98) and, once it
 *    is gone, asks for WRITEABLE again (output.c:189-190); only then does
 *    our WRITEABLE run. Had we called lws_write meanwhile, lws would append
 *    behind the remainder but return only what it sent of the old data
 *    (output.c:73-98, 149-192). Hence the rule: write at once only when our
 *    queue is empty and lws holds nothing; otherwise queue, and the queue
 *    drains from WRITEABLE. Control frames lws writes itself (pong, close
 *    echo, ops-ws.c:1292-1323) come from POLLOUT after the remainder, so
 *    they fall between whole frames.
 * 4. lws_send_pipe_choked() is that flag plus a poll(2) of the socket
 *    (plat/unix/unix-sockets.c:49-91). The WRITEABLE drain uses it between
 *    frames. The write-at-once path tests only the flag: a full socket is
 *    still correct there (send() takes nothing, lws buffers the frame,
 *    output.c:131-138, 213-229), and a poll per delivery would add one
 *    syscall to every message of a fan-out.
 * 5. A peer's close is echoed by lws from POLLOUT (ops-ws.c:458-512, 1292-
 *    1319); after LWS_CALLBACK_WS_PEER_INITIATED_CLOSE we stop writing so
 *    no data frame follows the echo.
 *
 * Memory per connection stays bounded: at most one remainder inside lws
 * (we never write while it is held) plus the txq of shared references; a
 * full txq drops the connection. */

static void drop_slow(struct conn *c)
{
    log_warn("slow_consumer closed room=%s player=%u queued=%zu", room_of(c), c->m.player,
             txq_len(&c->q));
    c->srv->stats.txq_drops++;
    txq_clear(&c->q);
    /* Its socket is not draining, so a close frame could not get through
     * either: drop the connection now (the player stays in the game and can
     * resume with its token). */
    c->closing = true;
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
}

static void flush_corked(struct conn *c);

void ws_drop(void *arg, struct member *m)
{
    struct conn *c = conn_of(m);
    (void)arg;
    if (c->established && !c->closing)
        drop_slow(c);
}

/* One whole frame to lws: 0, or -1 when the socket failed. */
static int write_frame(struct conn *c, struct frame *f)
{
    c->srv->stats.writes++;
    return lws_write(c->wsi, frame_payload(f), f->len, LWS_WRITE_TEXT) < (int)f->len ? -1 : 0;
}

/* Delivers f (taking a new reference if it is queued): written at once when
 * the connection is idle, else queued behind what is waiting. */
void ws_send(void *arg, struct member *m, struct frame *f)
{
    struct conn *c = conn_of(m);
    (void)arg;
    if (!c->established || c->closing)
        return;
    enum proto_out t = proto_frame_type(f);   /* classified once per frame */
    c->srv->stats.out_msgs[t]++;
    c->srv->stats.out_bytes[t] += f->len;
    /* An ack leaves here whether it was sent at once or held for its commit. */
    if (t == PO_ANSWER_ACK && c->answer_rx_ns) {
        metrics_hist_observe(&c->srv->stats.answer_ack_s,
                             (double)(uv_hrtime() - c->answer_rx_ns) / 1e9);
        c->answer_rx_ns = 0;
    }
    if (c->srv->releasing && !c->corked && !c->release_listed && txq_len(&c->q) == 0 &&
        !lws_partial_buffered(c->wsi)) {
        /* idle, as dispatch requires to cork: written in ws_release_end */
        c->corked = c->release_listed = true;
        c->release_next = c->srv->release_corked;
        c->srv->release_corked = c;
    }
    if (c->corked && txq_full(&c->q)) {
        /* More replies than the queue holds: write those first, which ends
         * the cork; the rest take the ordinary path below. */
        flush_corked(c);
        if (c->closing)
            return;
    }
    if (c->corked) {   /* written together by flush_corked, in order */
        txq_push(&c->q, f);   /* not full: checked above */
        return;
    }
    if (txq_len(&c->q) == 0 && !lws_partial_buffered(c->wsi)) {
        c->srv->stats.at_once++;
        if (write_frame(c, f) < 0) {
            c->closing = true;
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
        }
        return;   /* a remainder, if any, is lws's: it asked for POLLOUT itself */
    }
    if (!txq_push(&c->q, f)) {
        drop_slow(c);
        return;
    }
    c->srv->stats.queued++;
    /* One request per idle->busy transition (each is an epoll_ctl pair on
     * libuv, event-libs/libuv/libuv.c:499-548). While lws holds a remainder
     * it raises WRITEABLE by itself once that is sent (output.c:189-190). */
    if (txq_len(&c->q) == 1 && !lws_partial_buffered(c->wsi))
        lws_callback_on_writable(c->wsi);
}

/* ------------------------------------------------------------------ */
/* keepalive                                                           */

/* The ping goes out on the same terms as a frame written at once (no
 * queue, no remainder held: see above); lws_write takes LWS_WRITE_PING
 * outside WRITEABLE like any frame (roles/ws/ops-ws.c:1664, 1770). Its
 * payload is not empty because lws raises no LWS_CALLBACK_RECEIVE_PONG for
 * an empty pong (ops-ws.c:591-592). A busy connection is not pinged: it is
 * asked again next tick and closed at the hangup if the peer stays silent. */
static bool write_ping(struct conn *c)
{
    unsigned char buf[LWS_PRE + 2] = {[LWS_PRE] = 'q', [LWS_PRE + 1] = 'z'};
    if (txq_len(&c->q) || lws_partial_buffered(c->wsi))
        return false;
    return lws_write(c->wsi, buf + LWS_PRE, 2, LWS_WRITE_PING) >= 2;
}

void ws_keepalive_sweep(struct server *srv)
{
    uint64_t now = server__now(srv);
    bool killed = false;
    struct conn *c = srv->ka_cursor ? srv->ka_cursor : srv->conns;
    for (unsigned n = 0; c && n < KA_SWEEP_MAX; n++, c = c->gnext) {
        if (c->closing)
            continue;
        switch (ka_check(&c->ka, now, srv->cfg.keepalive_ms)) {
        case KA_PING:
            if (write_ping(c))
                c->ka.ping_out = true;
            break;
        case KA_CLOSE:
            log_info("keepalive_timeout closed room=%s player=%u silent_ms=%llu", room_of(c),
                     c->m.player, (unsigned long long)(now - c->ka.last_rx_ms));
            c->closing = true;
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
            killed = true;
            break;
        case KA_NONE: break;
        }
    }
    srv->ka_cursor = c;
    /* lws on libuv services its timeout list only after its own I/O
     * (event-libs/libuv/libuv.c:71-90, 147): wake it, or the kill above
     * would wait for the next packet on any connection. */
    if (killed)
        lws_cancel_service(srv->ctx);
}

/* Largest batch of replies written with one lws_write (one send()). */
#define WS_CORK_BUF 16384

/* Writes what a connection's own request produced for it (a join's
 * `joined` and `state`, say) in one send() where they fit WS_CORK_BUF,
 * instead of one per message. The batch is framed here exactly as lws
 * frames a server text message (FIN|TEXT, unmasked, no extension:
 * roles/ws/ops-ws.c:1747-1790) and written with LWS_WRITE_RAW, which is
 * LWS_WRITE_HTTP (lws-write.h:47): the ws role hands it to lws_issue_raw
 * as it is (ops-ws.c:1625-1629, 1909-1910), with the same partial-write
 * and order guarantees as any frame (see above). Cork only starts on an
 * idle connection (dispatch), so this writes at once like ws_send. */
static void flush_corked(struct conn *c)
{
    unsigned char buf[LWS_PRE + WS_CORK_BUF];
    struct frame *f;
    c->corked = false;
    while ((f = txq_peek(&c->q)) && !c->closing && !lws_partial_buffered(c->wsi)) {
        size_t n = 0, k = 0;
        int rc;
        if (txq_len(&c->q) == 1 || TXQ_WS_HEADER_MAX + f->len > WS_CORK_BUF) {
            rc = write_frame(c, f);
            txq_pop(&c->q);
            k = 1;
        } else {
            while ((f = txq_peek(&c->q)) && n + TXQ_WS_HEADER_MAX + f->len <= WS_CORK_BUF) {
                n += txq_ws_header(buf + LWS_PRE + n, f->len);
                memcpy(buf + LWS_PRE + n, frame_payload(f), f->len);
                n += f->len;
                k++;
                txq_pop(&c->q);
            }
            c->srv->stats.writes++;
            rc = lws_write(c->wsi, buf + LWS_PRE, n, LWS_WRITE_RAW) < (int)n ? -1 : 0;
        }
        c->srv->stats.at_once += k;
        if (rc < 0) {
            txq_clear(&c->q);
            c->closing = true;
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
            return;
        }
    }
    /* Left queued: behind a remainder lws raises WRITEABLE itself (output.c:
     * 189-190); a closing connection asked for it in ws_close. */
}

void ws_release_begin(struct server *srv)
{
    srv->releasing = true;
}

/* What one commit released was handed over in order (rooms keeps each
 * member's held frames in order); a connection corked here was idle when
 * its first frame came, so its batch goes out exactly as a request's
 * replies do (flush_corked: one lws_write, ordering and partial writes as
 * argued above). No connection closes in between: rooms_durable only sends
 * and drops, and a drop (drop_slow) is an asynchronous kill that lws
 * carries out from its own service, after this callback. */
void ws_release_end(struct server *srv)
{
    srv->releasing = false;
    for (struct conn *c = srv->release_corked, *n; c; c = n) {
        n = c->release_next;
        c->release_next = NULL;
        c->release_listed = false;
        if (c->corked)   /* not already written: a full queue ends the cork early */
            flush_corked(c);
    }
    srv->release_corked = NULL;
}

/* Takes `cost` from the connection's bucket; when it is short, answers
 * (the first refusals, then 1 in 50), closes a flooder with 1008, and
 * returns false. */
static bool rate_ok(struct conn *c, uint32_t cost, bool has_req, int64_t req)
{
    if (!cost || sess_bucket_take(&c->bucket, cost, server__now(c->srv)))
        return true;
    c->srv->stats.rate_limited++;
    if (sess_bucket_abusive(&c->bucket))
        ws_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION);
    if (sess_bucket_should_report(&c->bucket))
        send_error(c, QZ_ERATELIMIT, proto_text(TEXT_RATE_LIMITED), has_req, req);
    return false;
}

static void dispatch(struct conn *c, const char *buf, size_t len)
{
    struct proto_req q;
    struct proto_error e;
    if (c->closing || !c->srv->rooms)   /* no rooms once the server stopped */
        return;
    uint64_t t0 = uv_hrtime();
    int rc = proto_decode(buf, len, &q, &e);
    if (rc == 0 && q.type == PT_ANSWER)
        c->answer_rx_ns = t0;   /* ws_send observes the ack's latency */
    c->srv->stats.in_msgs[rc == 0 ? q.type : PT_COUNT]++;
    c->srv->stats.in_bytes[rc == 0 ? q.type : PT_COUNT] += len;
    uint32_t cost = rc == 0 ? sess_request_cost(&q, c->m.role == MEMBER_HOST) : 1;
    if (!rate_ok(c, cost, rc == 0 ? q.has_req : e.has_req, rc == 0 ? q.req : e.req))
        return;
    if (rc) {
        log_debug("bad_request err=%s msg=\"%s\"", qz_strerror(e.code), e.message);
        send_error(c, e.code, e.message, e.has_req, e.req);
        return;
    }
    /* Replies to this connection are held until the request is handled and
     * then written together, if it was idle (nothing queued or held). */
    c->corked = txq_len(&c->q) == 0 && !lws_partial_buffered(c->wsi);
    rooms_request(c->srv->rooms, &c->m, &q);
    if (c->corked)
        flush_corked(c);
}

static void on_established(struct conn *c, struct lws *wsi, struct server *srv)
{
    /* Bound what the kernel buffers for one peer: with loopback or LAN
     * autotuning a stalled reader could otherwise pin megabytes. */
    int fd = lws_get_socket_fd(wsi), sb = (int)srv->cfg.sndbuf;
    if (fd >= 0 && sb > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
    c->wsi = wsi;
    c->srv = srv;
    c->m.addr = server__ws_established(srv, wsi);   /* server.c's per-address counters */
    c->established = true;
    txq_init(&c->q, srv->cfg.txq_len);
    ka_heard(&c->ka, server__now(srv));
    sess_bucket_init(&c->bucket, server__now(srv));
    c->gnext = srv->conns;
    if (srv->conns)
        srv->conns->gprev = c;
    srv->conns = c;
    srv->n_conn++;
    srv->stats.ws_opened++;
}

static void on_closed(struct conn *c, struct server *srv)
{
    rooms_member_left(srv->rooms, &c->m);
    txq_cleanup(&c->q);
    sess_rx_cleanup(&c->rx);
    if (srv->ka_cursor == c)
        srv->ka_cursor = c->gnext;
    if (c->gprev)
        c->gprev->gnext = c->gnext;
    else
        srv->conns = c->gnext;
    if (c->gnext)
        c->gnext->gprev = c->gprev;
    c->established = false;
    srv->n_conn--;
    if (srv->shutting_down && srv->n_conn == 0)
        server__conn_gone(srv);
}

/* Writes the close frame and returns -1 so lws closes the connection.
 * lws 4.1.6 does not send the lws_close_reason() frame when a WRITEABLE
 * callback returns -1 (the POLLOUT path closes at once), so the frame is
 * written here: opcode 4 is lws's private LWS_WRITE_CLOSE, which its public
 * header reserves. */
static int write_close(struct conn *c)
{
    const char *why = proto_text(c->close_code == LWS_CLOSE_STATUS_GOINGAWAY ? TEXT_CLOSE_GOING_AWAY
                                 : c->close_code == LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE
                                     ? TEXT_CLOSE_TOO_LARGE
                                     : TEXT_CLOSE_POLICY);
    unsigned char cbuf[LWS_PRE + 64];
    size_t wl = strlen(why);
    cbuf[LWS_PRE] = (unsigned char)(c->close_code >> 8);
    cbuf[LWS_PRE + 1] = (unsigned char)(c->close_code & 0xff);
    memcpy(cbuf + LWS_PRE + 2, why, wl);
    lws_write(c->wsi, cbuf + LWS_PRE, wl + 2, (enum lws_write_protocol)4);
    return -1;
}

/* Drains the queue while the socket takes more (lws_send_pipe_choked) and
 * lws holds no remainder; a closing connection then sends its close frame. */
static int on_writeable(struct conn *c)
{
    struct frame *f;
    if (c->peer_closed)
        return 0;
    while ((f = txq_peek(&c->q))) {
        if (write_frame(c, f) < 0)
            return -1;
        txq_pop(&c->q);
        c->srv->stats.drained++;
        if (lws_partial_buffered(c->wsi))
            return 0;   /* lws sends the rest, then raises WRITEABLE again */
        if (txq_len(&c->q) && lws_send_pipe_choked(c->wsi)) {
            lws_callback_on_writable(c->wsi);
            return 0;
        }
    }
    if (c->closing)
        return write_close(c);
    return 0;
}

static int on_receive(struct conn *c, struct lws *wsi, const char *in, size_t len)
{
    bool first = lws_is_first_fragment(wsi),
         final = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
    const char *msg;
    size_t n;
    if (c->closing)
        return 0;
    /* A binary message (lws keeps the flag across its continuation frames,
     * roles/ws/ops-ws.c:162-184) gets one error once it is complete, and
     * 1009 past the limit like text (issue 11, item 8: it was one error per
     * rx_buffer_size chunk, and never 1009). It is counted, not kept. */
    enum sess_rx_result r =
        lws_frame_is_binary(wsi)
            ? sess_rx_discard(&c->rx, c->srv->cfg.rx_max, len, first, final)
            : sess_rx_feed(&c->rx, c->srv->cfg.rx_max, in, len, first, final, &msg, &n);
    switch (r) {
    case SESS_RX_MORE:
        return 0;
    case SESS_RX_TOO_LARGE:
        log_info("oversize_frame closed room=%s bytes>%u", room_of(c), c->srv->cfg.rx_max);
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                         (unsigned char *)proto_text(TEXT_CLOSE_TOO_LARGE),
                         strlen(proto_text(TEXT_CLOSE_TOO_LARGE)));
        return -1;
    case SESS_RX_MESSAGE:
        if (lws_frame_is_binary(wsi)) {
            if (!c->closing && rate_ok(c, 1, false, 0))
                send_error(c, QZ_EBADJSON, proto_text(TEXT_BINARY_FRAME), false, 0);
            return 0;
        }
        dispatch(c, msg, n);
        sess_rx_release(&c->rx);
        return 0;
    }
    return 0;
}

/* Issue 11, items 3 and 6: at most max_connections WebSockets, and only
 * from our own pages (or an --allowed-origin, or clients sending no Origin). */
static int ws_admit(struct server *srv, struct lws *wsi)
{
    char origin[300], host[300];
    bool has_origin = lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) > 0;
    bool has_host = lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) > 0;
    if (has_origin && !origin_allowed(origin, has_host ? host : NULL, srv->cfg.allowed_origins,
                                      srv->cfg.n_allowed_origins)) {
        log_info("ws_refused reason=origin origin=\"%.100s\"", origin);
        lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN, NULL);
        return 1;
    }
    if (srv->n_conn >= srv->cfg.max_connections) {
        server__refused(srv, "max_connections", "-");
        lws_return_http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, NULL);
        return 1;
    }
    /* Through a trusted proxy: whose connection this is, and its cap. */
    if (server__attribute(srv, wsi, true)) {
        lws_return_http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, NULL);
        return 1;
    }
    return 0;
}

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                size_t len)
{
    struct conn *c = user;
    struct server *srv = lws_context_user(lws_get_context(wsi));
    char uri[64];

    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        /* Only /ws (http.c refused other paths before this; this is the
         * last check before a 101 whatever the route). */
        if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, HTTP_WS_PATH))
            return 1;
        if (srv->shutting_down)
            return 1;
        return ws_admit(srv, wsi);
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return http_confirm_upgrade(wsi, in);
    case LWS_CALLBACK_ESTABLISHED:
        on_established(c, wsi, srv);
        return 0;
    case LWS_CALLBACK_CLOSED:
        if (c->established)
            on_closed(c, srv);
        return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        /* lws echoes the close from POLLOUT: write nothing after it. */
        if (c->established) {
            c->closing = c->peer_closed = true;
            txq_clear(&c->q);
        }
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return c->established ? on_writeable(c) : 0;
    case LWS_CALLBACK_RECEIVE:
        if (!c->established)
            return 0;
        ka_heard(&c->ka, server__now(srv));
        return on_receive(c, wsi, in, len);
    case LWS_CALLBACK_RECEIVE_PONG:
        if (c->established)
            ka_heard(&c->ka, server__now(srv));
        return 0;
    default:
        return 0;
    }
}
