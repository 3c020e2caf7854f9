/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz the control socket's request parser: any bytes a local client sends
 * as one line. Accepted requests must come back with a method that passes
 * the name rules and params that are an object or an array, and a reply
 * must be buildable for every outcome. The fast reader of plain JSON
 * (ctl_json_plain) must read every line it takes exactly as jansson does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snic/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ctl_request req;
    struct ctl_error err = { 0 };
    json_t *id = NULL;
    size_t out_size = 0;
    json_t *plain, *ref;
    char *out;

    plain = ctl_json_plain((const char *)data, size);
    ref = json_loadb((const char *)data, size,
                     JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
    if (plain != NULL && (ref == NULL || !json_equal(plain, ref)))
        abort();
    json_decref(plain);
    json_decref(ref);

    if (ctl_request_parse((const char *)data, size, &req, &id, &err) == 0) {
        if (req.method == NULL || req.method[0] == '\0'
            || strlen(req.method) > 64
            || !(json_is_object(req.params) || json_is_array(req.params)))
            abort();
        out = ctl_reply_result(req.id, json_object(), &out_size);
        ctl_request_free(&req);
    } else {
        if (err.code == 0 || err.message[0] == '\0')
            abort();
        out = ctl_reply_error(id, &err, &out_size);
    }
    if (out == NULL || out_size == 0 || out[out_size - 1] != '\n')
        abort();
    free(out);
    json_decref(id);
    return 0;
}
