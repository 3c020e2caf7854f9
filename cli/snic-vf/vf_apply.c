/* SPDX-License-Identifier: BSD-3-Clause */
/* Apply planner and runner (see vf_apply.h for the ordering rules). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vf_apply.h"
#include "vf_parse.h"

void
vf_want_clear(struct vf_want *w)
{
    for (unsigned i = 0; i < w->ndevs; i++)
        free(w->devs[i].vfs);
    free(w->devs);
    memset(w, 0, sizeof(*w));
}

void
vf_plan_clear(struct vf_plan *plan)
{
    free(plan->steps);
    free(plan->notes);
    memset(plan, 0, sizeof(*plan));
}

enum vf_order
vf_order_for_driver(const char *driver)
{
    if (strcmp(driver, "mlx5_core") == 0)
        return VF_ORDER_MLX5;
    if (strcmp(driver, "ice") == 0)
        return VF_ORDER_ICE;
    return VF_ORDER_DEFAULT;
}

const char *
vf_order_describe(enum vf_order order)
{
    switch (order) {
    case VF_ORDER_MLX5:
        return "mlx5 order: create VFs, unbind them, set the eSwitch mode, "
               "bind them again";
    case VF_ORDER_ICE:
        return "ice order: remove VFs, set the eSwitch mode, create VFs";
    default:
        return "default order (driver without a known rule): remove VFs, "
               "set the eSwitch mode, create VFs";
    }
}

static struct vf_step *
vf_plan_push(struct vf_plan *plan, enum vf_step_kind kind, const char *dev)
{
    struct vf_step *steps;

    steps = realloc(plan->steps, (plan->nsteps + 1) * sizeof(*steps));
    if (steps == NULL)
        return NULL;
    plan->steps = steps;
    memset(&steps[plan->nsteps], 0, sizeof(*steps));
    steps[plan->nsteps].kind = kind;
    snprintf(steps[plan->nsteps].dev, VF_NAME_MAX, "%s", dev);
    return &steps[plan->nsteps++];
}

static int
vf_plan_note(struct vf_plan *plan, const char *dev, const char *text)
{
    char (*notes)[192] = realloc(plan->notes,
                                 (plan->nnotes + 1) * sizeof(*notes));

    if (notes == NULL)
        return -ENOMEM;
    plan->notes = notes;
    snprintf(notes[plan->nnotes++], sizeof(*notes), "%s: using %s", dev,
             text);
    return 0;
}

static int
vf_push_numvfs(struct vf_plan *plan, const char *dev, unsigned n)
{
    struct vf_step *st = vf_plan_push(plan, VF_STEP_NUMVFS, dev);

    if (st == NULL)
        return -ENOMEM;
    st->numvfs = n;
    return 0;
}

/* From @from VFs to @to VFs, through 0 when both are non-zero. */
static int
vf_push_count_change(struct vf_plan *plan, const char *dev, unsigned from,
                     unsigned to)
{
    int rc = 0;

    if (from == to)
        return 0;
    if (from != 0 && to != 0)
        rc = vf_push_numvfs(plan, dev, 0);
    return rc < 0 ? rc : vf_push_numvfs(plan, dev, to);
}

static int
vf_push_mode(struct vf_plan *plan, const char *dev, int mode)
{
    struct vf_step *st = vf_plan_push(plan, VF_STEP_ESWITCH, dev);

    if (st == NULL)
        return -ENOMEM;
    st->mode = mode;
    return 0;
}

static const struct vf_want_vf *
vf_want_find_vf(const struct vf_want_dev *wd, unsigned index)
{
    for (unsigned i = 0; i < wd->nvfs; i++)
        if (wd->vfs[i].index == index)
            return &wd->vfs[i];
    return NULL;
}

/* mlx5: VFs exist, are unbound, the mode changes, they are bound again
 * (to the wanted driver when the file names one). */
static int
vf_plan_mlx5(struct vf_plan *plan, const struct vf_want_dev *wd,
             const struct vf_dev *cd, unsigned target, bool *rebound)
{
    int rc = vf_push_count_change(plan, wd->name, cd->numvfs, target);

    if (rc < 0)
        return rc;
    for (unsigned i = 0; i < target; i++) {
        struct vf_step *st = vf_plan_push(plan, VF_STEP_UNBIND, wd->name);

        if (st == NULL)
            return -ENOMEM;
        st->vf = i;
    }
    rc = vf_push_mode(plan, wd->name, wd->esw_mode);
    if (rc < 0)
        return rc;
    for (unsigned i = 0; i < target; i++) {
        const struct vf_want_vf *wv = vf_want_find_vf(wd, i);
        struct vf_step *st = vf_plan_push(plan, VF_STEP_BIND, wd->name);

        if (st == NULL)
            return -ENOMEM;
        st->vf = i;
        if (wv != NULL && wv->has_driver)
            snprintf(st->driver, sizeof(st->driver), "%s", wv->driver);
    }
    *rebound = true;
    return 0;
}

/* ice and the safe default: the mode changes while there are no VFs. */
static int
vf_plan_mode_first(struct vf_plan *plan, const struct vf_want_dev *wd,
                   const struct vf_dev *cd, unsigned target)
{
    int rc = 0;

    if (cd->numvfs != 0)
        rc = vf_push_numvfs(plan, wd->name, 0);
    if (rc == 0)
        rc = vf_push_mode(plan, wd->name, wd->esw_mode);
    if (rc == 0 && target != 0)
        rc = vf_push_numvfs(plan, wd->name, target);
    return rc;
}

static bool
vf_attr_differs(enum vf_attr a, const struct vf_settings *w,
                const struct vf_settings *c)
{
    if (!(c->mask & VF_ATTR_BIT(a)))
        return true;                    /* unknown: apply to be sure */
    switch (a) {
    case VF_ATTR_MAC: return memcmp(w->mac, c->mac, 6) != 0;
    case VF_ATTR_VLAN:
        return w->vlan != c->vlan || w->qos != c->qos ||
               (w->vlan != 0 && w->proto != c->proto);
    case VF_ATTR_SPOOFCHK: return w->spoofchk != c->spoofchk;
    case VF_ATTR_TRUST: return w->trust != c->trust;
    case VF_ATTR_STATE: return w->state != c->state;
    case VF_ATTR_RATE:
        return w->min_rate != c->min_rate || w->max_rate != c->max_rate;
    case VF_ATTR_NODE_GUID: return w->node_guid != c->node_guid;
    case VF_ATTR_PORT_GUID: return w->port_guid != c->port_guid;
    case VF_ATTR_HW_ADDR: return memcmp(w->hw_addr, c->hw_addr, 6) != 0;
    case VF_ATTR_ROCE: return w->roce != c->roce;
    case VF_ATTR_MIGRATABLE: return w->migratable != c->migratable;
    case VF_ATTR_FN_STATE: return w->fn_state != c->fn_state;
    default: return true;
    }
}

static int
vf_plan_vf(struct vf_plan *plan, const struct vf_want_dev *wd,
           const struct vf_want_vf *wv, const struct vf_dev *cd, bool fresh)
{
    static const struct vf_info unknown;
    const struct vf_info *ci = !fresh && wv->index < cd->nvfs ?
                               &cd->vfs[wv->index] : &unknown;
    struct vf_settings w = wv->s;

    vf_settings_merge_rate(&w, &ci->cur);
    for (unsigned a = 0; a < VF_ATTR__COUNT; a++) {
        struct vf_step *st;

        if (!(w.mask & VF_ATTR_BIT(a)) ||
            !vf_attr_differs((enum vf_attr)a, &w, &ci->cur))
            continue;
        st = vf_plan_push(plan, VF_STEP_SET, wd->name);
        if (st == NULL)
            return -ENOMEM;
        st->vf = wv->index;
        st->s = w;
        st->s.mask = VF_ATTR_BIT(a);
    }
    return 0;
}

static int
vf_plan_binds(struct vf_plan *plan, const struct vf_want_dev *wd,
              const struct vf_dev *cd, bool fresh)
{
    for (unsigned i = 0; i < wd->nvfs; i++) {
        const struct vf_want_vf *wv = &wd->vfs[i];
        const char *now = !fresh && wv->index < cd->nvfs ?
                          cd->vfs[wv->index].driver : NULL;
        struct vf_step *st;

        if (!wv->has_driver || wv->driver[0] == '\0')
            continue;           /* "default" cannot be compared: leave it */
        if (now != NULL && strcmp(now, wv->driver) == 0)
            continue;
        st = vf_plan_push(plan, VF_STEP_BIND, wd->name);
        if (st == NULL)
            return -ENOMEM;
        st->vf = wv->index;
        snprintf(st->driver, sizeof(st->driver), "%s", wv->driver);
    }
    return 0;
}

static int
vf_plan_check(const struct vf_want_dev *wd, const struct vf_dev *cd,
              unsigned target, struct vf_err *err)
{
    if (cd->sriov_cap != 1) {
        vf_err_set(err, "%s: %s has no SR-IOV capability", wd->path,
                   wd->name);
        return -EOPNOTSUPP;
    }
    if (target > cd->totalvfs) {
        vf_err_set(err, "%s.num_vfs: %u VFs wanted but %s supports at most "
                   "%u (sriov_totalvfs)", wd->path, target, wd->name,
                   cd->totalvfs);
        return -ERANGE;
    }
    for (unsigned i = 0; i < wd->nvfs; i++) {
        const struct vf_want_vf *wv = &wd->vfs[i];
        const struct vf_settings *cur = target == cd->numvfs &&
            wv->index < cd->nvfs ? &cd->vfs[wv->index].cur : NULL;
        int rc = vf_validate_for_dev(cd, target, wv->index, &wv->s, cur, err);

        if (rc < 0) {
            vf_err_prefix(err, "%s: ", wv->path);
            return rc;
        }
    }
    return 0;
}

static int
vf_plan_dev(struct vf_plan *plan, const struct vf_want_dev *wd,
            const struct vf_dev *cd, struct vf_err *err)
{
    unsigned target = wd->num_vfs >= 0 ? (unsigned)wd->num_vfs : cd->numvfs;
    bool mode_change = wd->esw_mode != VF_ESW_UNKNOWN &&
                       wd->esw_mode != cd->esw_mode;
    bool fresh = target != cd->numvfs;
    bool rebound = false;
    int rc = vf_plan_check(wd, cd, target, err);

    if (rc < 0)
        return rc;
    if (mode_change) {
        enum vf_order order = vf_order_for_driver(cd->driver);

        rc = vf_plan_note(plan, wd->name, vf_order_describe(order));
        if (rc < 0)
            return rc;
        if (order == VF_ORDER_MLX5) {
            rc = vf_plan_mlx5(plan, wd, cd, target, &rebound);
        } else {
            rc = vf_plan_mode_first(plan, wd, cd, target);
            fresh = fresh || cd->numvfs != 0;
        }
    } else if (cd->numvfs_in_place && target != cd->numvfs) {
        /* one step; the VFs that stay keep their settings, so only the
         * differences (and the new VFs) are planned */
        rc = vf_push_numvfs(plan, wd->name, target);
        if (rc == 0)
            plan->steps[plan->nsteps - 1].in_place = true;
        fresh = false;
    } else {
        rc = vf_push_count_change(plan, wd->name, cd->numvfs, target);
    }
    for (unsigned i = 0; rc == 0 && i < wd->nvfs; i++)
        rc = vf_plan_vf(plan, wd, &wd->vfs[i], cd, fresh);
    if (rc == 0 && !rebound)
        rc = vf_plan_binds(plan, wd, cd, fresh);
    return rc;
}

int
vf_plan_build(const struct vf_want *want, const struct vf_host *cur,
              struct vf_plan *plan, struct vf_err *err)
{
    int rc = 0;

    memset(plan, 0, sizeof(*plan));
    if (cur->ndevs != want->ndevs) {
        vf_err_set(err, "internal: %u devices wanted, %u read", want->ndevs,
                   cur->ndevs);
        return -EINVAL;
    }
    for (unsigned i = 0; rc == 0 && i < want->ndevs; i++)
        rc = vf_plan_dev(plan, &want->devs[i], &cur->devs[i], err);
    if (rc < 0)
        vf_plan_clear(plan);
    return rc;
}

int
vf_plan_for(struct vf_backend *be, const struct vf_want *want,
            struct vf_plan *plan, struct vf_err *err)
{
    struct vf_host cur = { 0 };
    int rc = 0;

    for (unsigned i = 0; i < want->ndevs; i++) {
        struct vf_dev dev;

        rc = be->ops->get(be, want->devs[i].name, &dev);
        if (rc < 0) {
            vf_err_set(err, "%s: %s", want->devs[i].path, be->err.msg);
            goto clear_cur;
        }
        rc = vf_host_add(&cur, &dev);
        if (rc < 0) {
            vf_dev_clear(&dev);
            goto clear_cur;
        }
    }
    rc = vf_plan_build(want, &cur, plan, err);
clear_cur:
    vf_host_clear(&cur);
    return rc;
}

const char *
vf_step_describe(const struct vf_step *st, char *buf, size_t size)
{
    char what[128];
    unsigned a;

    switch (st->kind) {
    case VF_STEP_NUMVFS:
        if (st->in_place)
            snprintf(buf, size, "set %s to %u VFs in place (the others "
                     "keep their settings)", st->dev, st->numvfs);
        else if (st->numvfs == 0)
            snprintf(buf, size, "remove all VFs of %s", st->dev);
        else
            snprintf(buf, size, "create %u VFs on %s", st->numvfs, st->dev);
        break;
    case VF_STEP_ESWITCH:
        snprintf(buf, size, "set eSwitch mode of %s to %s", st->dev,
                 vf_esw_mode_str(st->mode));
        break;
    case VF_STEP_UNBIND:
        snprintf(buf, size, "unbind %s vf %u from its driver", st->dev,
                 st->vf);
        break;
    case VF_STEP_BIND:
        snprintf(buf, size, "bind %s vf %u to %s", st->dev, st->vf,
                 st->driver[0] ? st->driver : "its default driver");
        break;
    case VF_STEP_SET:
        for (a = 0; a < VF_ATTR__COUNT; a++)
            if (st->s.mask & VF_ATTR_BIT(a))
                break;
        snprintf(buf, size, "set %s vf %u %s", st->dev, st->vf,
                 vf_fmt_attr((enum vf_attr)a, &st->s, what, sizeof(what)));
        break;
    default:
        snprintf(buf, size, "?");
        break;
    }
    return buf;
}

static int
vf_step_exec(struct vf_backend *be, const struct vf_step *st, int timeout_ms)
{
    switch (st->kind) {
    case VF_STEP_NUMVFS:
        return st->numvfs == 0 ?
               be->ops->destroy(be, st->dev, timeout_ms) :
               be->ops->create(be, st->dev, st->numvfs, timeout_ms);
    case VF_STEP_ESWITCH:
        return be->ops->eswitch_set(be, st->dev, st->mode);
    case VF_STEP_UNBIND:
        return be->ops->unbind(be, st->dev, st->vf);
    case VF_STEP_BIND:
        return be->ops->bind(be, st->dev, st->vf,
                             st->driver[0] ? st->driver : NULL);
    case VF_STEP_SET:
        return be->ops->set(be, st->dev, st->vf, &st->s);
    default:
        return -EINVAL;
    }
}

int
vf_plan_run(struct vf_backend *be, const struct vf_plan *plan,
            int timeout_ms, FILE *out, unsigned *done, struct vf_err *err)
{
    char what[256];

    *done = 0;
    for (unsigned i = 0; i < plan->nsteps; i++) {
        int rc;

        vf_step_describe(&plan->steps[i], what, sizeof(what));
        if (out != NULL) {
            fprintf(out, "[%u/%u] %s ... ", i + 1, plan->nsteps, what);
            fflush(out);
        }
        be->err.msg[0] = '\0';
        rc = vf_step_exec(be, &plan->steps[i], timeout_ms);
        if (rc < 0) {
            if (out != NULL)
                fprintf(out, "FAILED\n");
            vf_err_set(err, "step %u/%u (%s) failed: %s", i + 1,
                       plan->nsteps, what, be->err.msg);
            return rc;
        }
        if (out != NULL)
            fprintf(out, "ok\n");
        (*done)++;
    }
    return 0;
}
