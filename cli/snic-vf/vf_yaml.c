/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * YAML apply files: libyaml loads the document, which is converted to the
 * JSON tree vf_json_to_want() validates. Plain scalars that read as
 * integers, true/false or null become those; quoted scalars stay strings.
 * Without libyaml at build time, YAML files are refused with a clear line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vf_json.h"

#ifdef SNIC_VF_HAVE_YAML
#include <yaml.h>

bool
vf_json_have_yaml(void)
{
    return true;
}

static json_t *
vf_yaml_scalar(const yaml_node_t *n)
{
    const char *s = (const char *)n->data.scalar.value;
    char *end;
    long long v;

    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return json_string(s);
    if (strcmp(s, "true") == 0)
        return json_true();
    if (strcmp(s, "false") == 0)
        return json_false();
    if (strcmp(s, "null") == 0 || strcmp(s, "~") == 0 || s[0] == '\0')
        return json_null();
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno == 0 && end != s && *end == '\0')
        return json_integer(v);
    return json_string(s);
}

/* Aliases let a small document name one node many times; the budget
 * bounds the tree built from it (a "billion laughs" file is refused). */
#define VF_YAML_MAX_NODES 100000u

static json_t *
vf_yaml_node(yaml_document_t *doc, yaml_node_t *n, unsigned depth,
             unsigned *budget)
{
    json_t *out;

    if (n == NULL || depth > 32 || *budget == 0)
        return NULL;
    (*budget)--;
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return vf_yaml_scalar(n);
    case YAML_SEQUENCE_NODE:
        out = json_array();
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             it < n->data.sequence.items.top; it++) {
            json_t *v = vf_yaml_node(doc, yaml_document_get_node(doc, *it),
                                     depth + 1, budget);

            if (v == NULL || json_array_append_new(out, v) < 0)
                goto free_out;
        }
        return out;
    case YAML_MAPPING_NODE:
        out = json_object();
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
             p < n->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(doc, p->key);
            const char *key;
            json_t *v;

            if (k == NULL || k->type != YAML_SCALAR_NODE)
                goto free_out;
            key = (const char *)k->data.scalar.value;
            /* JSON files refuse duplicate keys; YAML ones must too, or the
             * last one would silently win */
            if (json_object_get(out, key) != NULL)
                goto free_out;
            v = vf_yaml_node(doc, yaml_document_get_node(doc, p->value),
                             depth + 1, budget);
            if (v == NULL || json_object_set_new(out, key, v) < 0)
                goto free_out;
        }
        return out;
    default:
        return NULL;
    }
free_out:
    json_decref(out);
    return NULL;
}

json_t *
vf_yaml_parse(const char *name, const char *data, size_t size,
              struct vf_err *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    json_t *root = NULL;
    unsigned budget = VF_YAML_MAX_NODES;

    if (!yaml_parser_initialize(&parser)) {
        vf_err_set(err, "%s: cannot initialise the YAML parser", name);
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, size);
    if (!yaml_parser_load(&parser, &doc)) {
        vf_err_set(err, "%s:%zu:%zu: not valid YAML: %s", name,
                   parser.problem_mark.line + 1,
                   parser.problem_mark.column + 1,
                   parser.problem ? parser.problem : "parse error");
        goto delete_parser;
    }
    root = vf_yaml_node(&doc, yaml_document_get_root_node(&doc), 0, &budget);
    yaml_document_delete(&doc);
    if (root == NULL) {
        vf_err_set(err, "%s: empty YAML document or unsupported node (keys "
                   "must be unique plain scalars, nesting at most 32 deep, "
                   "at most %u nodes)", name, VF_YAML_MAX_NODES);
        goto delete_parser;
    }
    /* An apply file is one document: a second one (after ---) would be
     * ignored, and the devices it describes silently left alone. */
    if (!yaml_parser_load(&parser, &doc)) {
        vf_err_set(err, "%s:%zu:%zu: not valid YAML: %s", name,
                   parser.problem_mark.line + 1,
                   parser.problem_mark.column + 1,
                   parser.problem ? parser.problem : "parse error");
        json_decref(root);
        root = NULL;
        goto delete_parser;
    }
    if (yaml_document_get_root_node(&doc) != NULL) {
        vf_err_set(err, "%s:%zu: a second YAML document; an apply file holds "
                   "one (put every device under one \"devices\" list)",
                   name, doc.start_mark.line + 1);
        json_decref(root);
        root = NULL;
    }
    yaml_document_delete(&doc);
delete_parser:
    yaml_parser_delete(&parser);
    return root;
}

#else

bool
vf_json_have_yaml(void)
{
    return false;
}

json_t *
vf_yaml_parse(const char *name, const char *data, size_t size,
              struct vf_err *err)
{
    (void)data;
    (void)size;
    vf_err_set(err, "%s: YAML apply files are not supported by this build "
               "(libyaml was not found when it was built); write the file "
               "as JSON", name);
    return NULL;
}

#endif
