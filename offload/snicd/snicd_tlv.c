/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switch's TLV map: which option each of tun_metadata0..63 is, as
 * ovs-ofctl add-tlv-map / del-tlv-map / dump-tlv-map set and show it on
 * Open vSwitch. snic's VXLAN tunnels carry no options, so the map gives
 * the fields their length and their place in a packet's metadata
 * (flow_tun_md.c): a flow may use only mapped options, and only their
 * mapped bits, as Open vSwitch refuses a flow on an unmapped field.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snicd.h"

struct tlv_entry {
    unsigned index;
    unsigned long opt_class;
    unsigned long type;
    unsigned long len;
};

/* One "{class=C,type=T,len=L}->tun_metadataN" at *@p, which moves past
 * it. -EINVAL with @msg. */
static int
parse_entry(const char **p, struct tlv_entry *e, char *msg, size_t size)
{
    const char *s = *p;
    long oc, ty, ln;
    char *end;
    int n = 0;

    if (sscanf(s, "{class=%li,type=%li,len=%li}->tun_metadata%n", &oc, &ty,
               &ln, &n) != 3 || n == 0 || oc < 0 || ty < 0 || ln < 0) {
        snprintf(msg, size, "'%.40s': expected "
                 "{class=CLASS,type=TYPE,len=LEN}->tun_metadataN", s);
        return -EINVAL;
    }
    e->opt_class = (unsigned long)oc;
    e->type = (unsigned long)ty;
    e->len = (unsigned long)ln;
    s += n;
    if (*s < '0' || *s > '9') {
        snprintf(msg, size, "'%.40s': expected an option index 0..63 after "
                 "tun_metadata", *p);
        return -EINVAL;
    }
    e->index = (unsigned)strtoul(s, &end, 10);
    if (e->index >= FLOW_TUN_MD_N) {
        snprintf(msg, size, "tun_metadata%u: the index is 0..63", e->index);
        return -EINVAL;
    }
    if (e->opt_class > 0xffff || e->type > 0xff) {
        snprintf(msg, size, "tun_metadata%u: class is 16 bits and type 8 "
                 "(got 0x%lx, 0x%lx)", e->index, e->opt_class, e->type);
        return -EINVAL;
    }
    if (e->len == 0 || e->len % 4 != 0 || e->len > FLOW_TUN_MD_MAX_LEN) {
        snprintf(msg, size, "tun_metadata%u: len=%lu: snic maps options of "
                 "4, 8, 12 or 16 bytes (Open vSwitch: multiples of 4 up to "
                 "124)", e->index, e->len);
        return -EINVAL;
    }
    *p = end;
    return 0;
}

/* The entries of @spec into @e (at most FLOW_TUN_MD_N). */
static int
parse_spec(const char *spec, struct tlv_entry *e, unsigned *n, char *msg,
           size_t size)
{
    const char *p = spec;

    *n = 0;
    while (*p == ' ')
        p++;
    if (*p == '\0') {
        snprintf(msg, size, "no mapping given (expected "
                 "{class=CLASS,type=TYPE,len=LEN}->tun_metadataN[,...])");
        return -EINVAL;
    }
    for (;;) {
        int rc;

        if (*n == FLOW_TUN_MD_N) {
            snprintf(msg, size, "more than %u mappings", FLOW_TUN_MD_N);
            return -EINVAL;
        }
        rc = parse_entry(&p, &e[*n], msg, size);
        if (rc < 0)
            return rc;
        (*n)++;
        while (*p == ' ')
            p++;
        if (*p == '\0')
            return 0;
        if (*p != ',') {
            snprintf(msg, size, "'%.40s': expected ',' between mappings", p);
            return -EINVAL;
        }
        p++;
        while (*p == ' ')
            p++;
    }
}

struct in_use {
    uint64_t options;
    uint64_t found;
};

static int
in_use_visit(void *ctx, const struct flow_entry *e)
{
    struct in_use *u = ctx;
    struct flow f;

    flow_entry_flow(e, &f);
    u->found |= flow_tun_md_used(&f) & u->options;
    return 0;
}

/* The options of @options some flow of the table uses. */
static uint64_t
options_in_use(struct snicd *d, uint64_t options)
{
    struct in_use u = { .options = options, .found = 0 };

    (void)flow_table_walk(d->table, FLOW_TABLE_ALL, in_use_visit, &u);
    return u.found;
}

/* @m as add-tlv-map's argument, one line ("" when nothing is mapped). */
static void
map_spec(const struct flow_tlv_map *m, char *text, size_t size)
{
    size_t at = 0;

    text[0] = '\0';
    for (unsigned i = 0; i < FLOW_TUN_MD_N && at < size; i++)
        if (m->len[i] != 0)
            at += (size_t)snprintf(text + at, size - at,
                                   "%s{class=0x%x,type=0x%x,len=%u}->"
                                   "tun_metadata%u", at > 0 ? "," : "",
                                   m->opt_class[i], m->type[i], m->len[i],
                                   i);
}

/* fsync the folder holding @path: 0 or a negative errno */
static int
fsync_parent(const char *path)
{
    char *copy = strdup(path);
    int fd, rc = 0;

    if (copy == NULL)
        return -ENOMEM;
    fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0)
        rc = -errno;
    if (fd >= 0)
        close(fd);
    free(copy);
    return rc;
}

/*
 * Keep @m in d->tlv_path before it becomes the map: a flow using an
 * option is journaled only after its mapping is kept, and an option is
 * unmapped only when no flow uses it, so after a crash anywhere the kept
 * map fits every flow the journal brings back. Written whole to PATH.tmp
 * (O_EXCL | O_NOFOLLOW: a planted file or link there fails the command,
 * it is never followed), fsync'ed, renamed over PATH, and the folder
 * fsync'ed. 0, or a negative errno with @msg.
 */
static int
tlv_save(const struct snicd *d, const struct flow_tlv_map *m, char *msg,
         size_t size)
{
    char text[64 * FLOW_TUN_MD_N + 2], *tmp = NULL;
    size_t len;
    ssize_t n;
    int fd = -1, rc = 0;

    if (d->tlv_path == NULL)
        return 0;
    map_spec(m, text, sizeof(text) - 1);
    len = strlen(text);
    text[len++] = '\n';
    if (asprintf(&tmp, "%s.tmp", d->tlv_path) < 0) {
        tmp = NULL;
        rc = -ENOMEM;
        goto out;
    }
    (void)unlink(tmp);      /* a stale one from a crash: ours */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              0600);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    n = write(fd, text, len);
    if (n != (ssize_t)len) {
        rc = n < 0 ? -errno : -EIO;     /* a short write sets no errno */
        goto out;
    }
    if (fsync(fd) < 0 || rename(tmp, d->tlv_path) < 0) {
        rc = -errno;
        goto out;
    }
    /* the rename is durable only once the folder is: a flow journaled
     * after this must find its map after a power loss */
    rc = fsync_parent(d->tlv_path);
out:
    if (fd >= 0)
        close(fd);
    if (rc < 0) {
        if (tmp != NULL)
            (void)unlink(tmp);
        snprintf(msg, size, "cannot keep the map in %s: %s", d->tlv_path,
                 strerror(-rc));
    }
    free(tmp);
    return rc;
}

/* @m becomes the map: kept first (tlv_save), then the datapath's. */
static int
tlv_commit(struct snicd *d, const struct flow_tlv_map *m, char *msg,
           size_t size)
    SNIC_REQUIRES(snic_control)
{
    int rc = tlv_save(d, m, msg, size);

    if (rc < 0)
        return rc;
    d->tlv_map = *m;
    if (d->dp != NULL)
        dp_set_tlv_map(d->dp, &d->tlv_map);
    return 0;
}

int
snicd_tlv_load(struct snicd *d, const char *path)
{
    char line[64 * FLOW_TUN_MD_N + 2], msg[256];
    FILE *f;
    int rc = 0;

    /* the map is taken with no file to keep it in (it came from there);
     * the file is set once it is taken */
    free(d->tlv_path);
    d->tlv_path = NULL;
    f = fopen(path, "re");
    if (f != NULL) {
        if (fgets(line, sizeof(line), f) == NULL)
            line[0] = '\0';
        fclose(f);
        line[strcspn(line, "\n")] = '\0';
        if (line[0] != '\0') {
            rc = snicd_tlv_add(d, line, msg, sizeof(msg));
            if (rc < 0)
                snicd_log(SNICD_LOG_ERR, "TLV map %s: %s", path, msg);
            else
                snicd_log(SNICD_LOG_INFO, "TLV map %s: %s", path, line);
        }
    } else if (errno != ENOENT) {
        rc = -errno;
        snicd_log(SNICD_LOG_ERR, "TLV map %s: %s", path, strerror(-rc));
    }
    if (rc == 0 && (d->tlv_path = strdup(path)) == NULL)
        rc = -ENOMEM;
    return rc;
}

int
snicd_tlv_add(struct snicd *d, const char *spec, char *msg, size_t size)
{
    struct tlv_entry e[FLOW_TUN_MD_N];
    struct flow_tlv_map map = d->tlv_map;
    unsigned n;
    int rc = parse_spec(spec, e, &n, msg, size);

    if (rc < 0)
        return rc;
    for (unsigned i = 0; i < n; i++) {
        rc = flow_tlv_map_add(&map, e[i].index, (uint16_t)e[i].opt_class,
                              (uint8_t)e[i].type, (unsigned)e[i].len);
        if (rc == -EEXIST)
            snprintf(msg, size, "tun_metadata%u is already mapped "
                     "(del-tlv-map it first)", e[i].index);
        else if (rc == -EADDRINUSE)
            snprintf(msg, size, "class 0x%lx type 0x%lx is already mapped "
                     "to another tun_metadata field", e[i].opt_class,
                     e[i].type);
        else if (rc == -ENOSPC)
            snprintf(msg, size, "tun_metadata%u: no room for %lu more bytes "
                     "(snic keeps %u bytes of tunnel metadata a packet)",
                     e[i].index, e[i].len, 4 * FLOW_TUN_MD_SLOTS);
        else if (rc < 0)
            snprintf(msg, size, "tun_metadata%u: %s", e[i].index,
                     strerror(-rc));
        if (rc < 0)
            return rc;
    }
    return tlv_commit(d, &map, msg, size);
}

int
snicd_tlv_del(struct snicd *d, const char *spec, char *msg, size_t size)
{
    struct tlv_entry e[FLOW_TUN_MD_N];
    struct flow_tlv_map map = d->tlv_map;
    uint64_t options = 0, busy;
    unsigned n = 0;
    int rc;

    if (spec == NULL) {
        for (unsigned i = 0; i < FLOW_TUN_MD_N; i++)
            if (map.len[i] != 0)
                options |= 1ull << i;
        flow_tlv_map_init(&map);
    } else {
        rc = parse_spec(spec, e, &n, msg, size);
        if (rc < 0)
            return rc;
        for (unsigned i = 0; i < n; i++) {
            /* Open vSwitch deletes by index and checks the rest too */
            if (map.len[e[i].index] != e[i].len
                || map.opt_class[e[i].index] != e[i].opt_class
                || map.type[e[i].index] != e[i].type) {
                snprintf(msg, size, "tun_metadata%u is not mapped as "
                         "{class=0x%lx,type=0x%lx,len=%lu}", e[i].index,
                         e[i].opt_class, e[i].type, e[i].len);
                return -ENOENT;
            }
            (void)flow_tlv_map_del(&map, e[i].index);
            options |= 1ull << e[i].index;
        }
    }
    busy = options_in_use(d, options);
    if (busy != 0) {
        snprintf(msg, size, "tun_metadata%u is used by a flow (delete the "
                 "flows that use it first)",
                 (unsigned)__builtin_ctzll(busy));
        return -EBUSY;
    }
    return tlv_commit(d, &map, msg, size);
}

json_t *
snicd_tlv_dump(const struct snicd *d)
{
    json_t *list = json_array();
    unsigned used = 0;
    char text[80 * (FLOW_TUN_MD_N + 4)];
    size_t at;

    /* as ovs-ofctl dump-tlv-map prints the table */
    at = (size_t)snprintf(text, sizeof(text), "mapping table (%u of %u "
                          "bytes):\nclass\ttype\tlength\tmatch field\n"
                          "------\t----\t------\t--------------\n",
                          0u, 4 * FLOW_TUN_MD_SLOTS);
    for (unsigned i = 0; i < FLOW_TUN_MD_N; i++) {
        const struct flow_tlv_map *m = &d->tlv_map;

        if (m->len[i] == 0)
            continue;
        used += m->len[i];
        at += (size_t)snprintf(text + at, sizeof(text) - at,
                               "0x%x\t0x%x\t%u\ttun_metadata%u\n",
                               m->opt_class[i], m->type[i], m->len[i], i);
        json_array_append_new(list, json_pack("{s:i, s:i, s:i, s:i}",
                                              "index", (int)i,
                                              "class", (int)m->opt_class[i],
                                              "type", (int)m->type[i],
                                              "len", (int)m->len[i]));
    }
    /* the header's count, now that it is known */
    {
        char head[64];
        int n = snprintf(head, sizeof(head), "mapping table (%u of %u "
                         "bytes):", used, 4 * FLOW_TUN_MD_SLOTS);
        char *nl = strchr(text, '\n');

        memmove(text + n, nl, strlen(nl) + 1);
        memcpy(text, head, (size_t)n);
    }
    return json_pack("{s:o, s:i, s:i, s:s}", "mappings", list, "bytes_used",
                     (int)used, "bytes_max", (int)(4 * FLOW_TUN_MD_SLOTS),
                     "text", text);
}

int
snicd_tlv_fit(const struct snicd *d, struct flow_mod *fm, char *msg,
              size_t size)
{
    if (flow_tun_md_used(&fm->flow) == 0)
        return 0;
    return flow_tun_md_check(&fm->flow, &d->tlv_map, msg, size);
}
