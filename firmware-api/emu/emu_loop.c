/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The event loop's primitives: hook a descriptor into epoll, unhook it, and
 * the graveyard (objects closed while an epoll batch is in hand are freed
 * only after the batch). A leaf: the server, the packet queues and the taps
 * all call forward into it, and it calls none of them.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "emu_server_int.h"

void
emu_loop_defer_free(struct emu_server *srv, void *obj)
{
    if (srv->n_graveyard == srv->cap_graveyard) {
        size_t cap = srv->cap_graveyard ? srv->cap_graveyard * 2 : 16;
        void **g = realloc(srv->graveyard, cap * sizeof(*g));

        if (g == NULL) {
            /* leak rather than free an object an event may still name */
            return;
        }
        srv->graveyard = g;
        srv->cap_graveyard = cap;
    }
    srv->graveyard[srv->n_graveyard++] = obj;
}

void
emu_loop_bury(struct emu_server *srv)
{
    while (srv->n_graveyard > 0)
        free(srv->graveyard[--srv->n_graveyard]);
}

int
emu_loop_watch(struct emu_server *srv, int fd, struct emu_watch *w,
               uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = w };

    return epoll_ctl(srv->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void
emu_loop_unwatch(struct emu_server *srv, int fd)
{
    epoll_ctl(srv->ep, EPOLL_CTL_DEL, fd, NULL);
}
