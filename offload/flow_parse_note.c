/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Actions that leave the packet as it is, as Open vSwitch spells them:
 * note:HEX (bytes kept with the flow for whoever reads it back) and the
 * debug actions debug_recirc and debug_slow (they make Open vSwitch's own
 * datapath recirculate or take its slow path; snic has neither, and the
 * packet gets the same either way). All three are kept and printed back,
 * so a dump reads back to the same flow; none may be in an action set.
 *
 * A note is pairs of hexadecimal digits, dots allowed between them
 * (note:41.42.43, note:414243); Open vSwitch pads its bytes with zeros to
 * 6 plus a multiple of 8 (its action is a multiple of 8 bytes long), and
 * that padded form is what it decodes and prints, so snic keeps the same.
 * The bytes follow the NOTE action flat in the list, 8 to a NOTE_DATA.
 */
#include <errno.h>
#include <string.h>

#include "flow_priv.h"

static int
note_action(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct fp_ctx *c = st->c;
    uint8_t bytes[FLOW_NOTE_MAX] = { 0 };
    const char *s = tok->val;
    size_t n = 0, len = 0;
    struct flow_action *a;
    int rc;

    for (size_t i = 0; s != NULL && i < tok->vlen;) {
        int hi, lo;

        if (s[i] == '.') {
            i++;
            continue;
        }
        hi = fp_hex_digit(s[i]);
        lo = i + 1 < tok->vlen ? fp_hex_digit(s[i + 1]) : -1;
        if (hi < 0 || lo < 0)
            return fp_fail(c, -EINVAL, tok, "note: '%.*s' is not "
                           "hexadecimal bytes (pairs of digits, dots "
                           "allowed between them: note:41.42.43)",
                           (int)(tok->vlen > 32 ? 32 : tok->vlen), s);
        if (n == FLOW_NOTE_MAX)
            return fp_fail(c, -E2BIG, tok, "note: more than %u bytes (a "
                           "flow holds at most %u with its padding)",
                           FLOW_NOTE_MAX, FLOW_NOTE_MAX);
        bytes[n++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    /* Open vSwitch's padding: 6, 14, 22... bytes */
    len = n <= 6 ? 6 : 6 + (n - 6 + 7) / 8 * 8;
    if (len > FLOW_NOTE_MAX)
        return fp_fail(c, -E2BIG, tok, "note: %zu bytes pad to %zu, more "
                       "than a flow holds (at most %u)", n, len,
                       FLOW_NOTE_MAX);
    if ((rc = fp_act_append(st, tok, FLOW_ACT_NOTE, &a)) < 0)
        return rc;
    a->u.note.len = (uint16_t)len;
    a->u.note.n = (uint8_t)((len + 7) / 8);
    for (size_t k = 0; k < (len + 7) / 8; k++) {
        size_t take = len - k * 8 < 8 ? len - k * 8 : 8;

        /* no room for all of it: the line is refused */
        if ((rc = fp_act_append(st, tok, FLOW_ACT_NOTE_DATA, &a)) < 0)
            return rc;
        memcpy(a->u.bytes, bytes + k * 8, take);
    }
    return 0;
}

int
fp_note_action(struct fp_act_state *st, const struct fp_tok *tok,
               bool *handled)
{
    struct flow_action *a;
    bool slow;

    *handled = true;
    if (fp_key_is_ci(tok, "note"))
        return note_action(st, tok);
    slow = fp_key_is_ci(tok, "debug_slow");
    if (slow || fp_key_is_ci(tok, "debug_recirc")) {
        if (tok->val != NULL)
            return fp_fail(st->c, -EINVAL, tok, "%s takes no argument",
                           slow ? "debug_slow" : "debug_recirc");
        return fp_act_append(st, tok, slow ? FLOW_ACT_DEBUG_SLOW
                                           : FLOW_ACT_DEBUG_RECIRC, &a);
    }
    *handled = false;
    return 0;
}
