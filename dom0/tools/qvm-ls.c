/* qvm-ls: list qubes, their state and chosen properties.
 *
 * One admin.vm.List, then (only when a column needs more than name, state
 * and class) one admin.vm.property.GetAll per listed qube, all in flight at
 * once through qadmin_call_many: with 500 qubes that is what keeps the
 * command near one round trip of qvmd's time. */
#include "dom0/tools/lib/cli.h"

#include "lib/log.h"

#include <ctype.h>
#include <stddef.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_FIELDS 32
#define MAX_TAGS   32

struct row {
    struct qadmin_vm vm;
    struct qadmin_result props; /* GetAll, when fetched */
    struct qadmin_result tags;  /* tag.List, when filtering on tags */
};

static void usage(FILE *f)
{
    fprintf(f, "usage: qvm-ls [options] [QUBE...]\n"
               "List qubes with their state and properties.\n"
               "  -O, --fields LIST   comma-separated columns (default "
               "name,state,class,label,template,netvm);\n"
               "                      any property name is a column\n"
               "  --raw-list          only the names, one a line\n"
               "  --raw-data          no header, columns separated by '|'\n"
               "  --format FORMAT     'simple' (default) or 'json'\n"
               "  --running, --halted, --paused\n"
               "                      only qubes in one of these states\n"
               "  --tags TAG[,TAG]    only qubes with one of these tags (repeatable)\n"
               "  --class CLASS       only qubes of this class (repeatable)\n"
               "  -h, --help          this text\n"
               "Exit: 0 listed, 1 qvmd failed or a QUBE does not exist, 2 usage.\n");
}

/* Splits a comma list into out (pointers into s, which it modifies). */
static size_t split_commas(char *s, const char **out, size_t max, size_t n)
{
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
        if (n == max)
            cli_usage("too many items in '%s'", s);
        if (*tok)
            out[n++] = tok;
    }
    return n;
}

/* The value of property name in a GetAll reply, or false. */
static bool find_prop(const struct qadmin_result *r, const char *name, struct qadmin_prop *p)
{
    struct qadmin_str line;
    size_t pos = 0;

    if (!r->buf || r->status)
        return false;
    while (qadmin_next_line(r->data, &pos, &line))
        if (qadmin_parse_prop(line, true, p) == 0 && qadmin_str_eq(p->name, name))
            return true;
    return false;
}

static bool has_tag(const struct qadmin_result *r, const char *tag)
{
    struct qadmin_str line;
    size_t pos = 0;

    while (r->buf && !r->status && qadmin_next_line(r->data, &pos, &line))
        if (qadmin_str_eq(line, tag))
            return true;
    return false;
}

/* A cell: name/state/class from the list, anything else a property; "-"
 * when the qube has no such property or it is empty (Qubes shows "-"). */
static const char *cell(const struct row *r, const char *field, char *tmp, size_t tmpsz,
                        const char **type)
{
    struct qadmin_prop p;

    *type = "str";
    if (strcmp(field, "name") == 0)
        return r->vm.name;
    if (strcmp(field, "state") == 0)
        return r->vm.state;
    if (strcmp(field, "class") == 0)
        return r->vm.klass;
    if (!find_prop(&r->props, field, &p) || p.value.len == 0)
        return NULL;
    *type = p.type[0] == 'b' ? "bool" : p.type[0] == 'i' ? "int" : "str";
    log_printable(tmp, tmpsz, p.value.p, p.value.len);
    return tmp;
}

/* Each state once, whatever the command line repeats. */
static void add_state(const char **states, size_t *n, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (states[i] == s)
            return;
    states[(*n)++] = s;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct row *)a)->vm.name, ((const struct row *)b)->vm.name);
}

static void print_json(struct row *rows, size_t n, const char **fields, size_t nf)
{
    json_object *arr = json_object_new_array();
    char tmp[512];
    const char *type;

    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        for (size_t f = 0; f < nf; f++) {
            const char *v = cell(&rows[i], fields[f], tmp, sizeof(tmp), &type);
            json_object *jv = NULL;
            if (v && strcmp(type, "int") == 0)
                jv = json_object_new_int64(strtoll(v, NULL, 10));
            else if (v && strcmp(type, "bool") == 0)
                jv = json_object_new_boolean(strcmp(v, "True") == 0);
            else if (v)
                jv = json_object_new_string(v);
            json_object_object_add(o, fields[f], jv);
        }
        json_object_array_add(arr, o);
    }
    puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
    json_object_put(arr);
}

static void print_table(struct row *rows, size_t n, const char **fields, size_t nf, bool raw)
{
    size_t width[MAX_FIELDS];
    char tmp[512];
    const char *type;

    for (size_t f = 0; f < nf; f++) {
        width[f] = strlen(fields[f]);
        for (size_t i = 0; i < n && !raw; i++) {
            const char *v = cell(&rows[i], fields[f], tmp, sizeof(tmp), &type);
            size_t l = v ? strlen(v) : 1;
            if (l > width[f])
                width[f] = l;
        }
    }
    if (!raw) {
        for (size_t f = 0; f < nf; f++) {
            for (const char *c = fields[f]; *c; c++)
                putchar(toupper((unsigned char)*c));
            if (f + 1 < nf)
                printf("%*s", (int)(width[f] - strlen(fields[f]) + 2), "");
        }
        putchar('\n');
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t f = 0; f < nf; f++) {
            const char *v = cell(&rows[i], fields[f], tmp, sizeof(tmp), &type);
            if (!v)
                v = "-";
            if (raw)
                printf("%s%s", f ? "|" : "", v);
            else if (f + 1 < nf)
                printf("%-*s  ", (int)width[f], v);
            else
                fputs(v, stdout);
        }
        putchar('\n');
    }
}

/* One call per row, all at once; a qube removed meanwhile just shows "-". */
static void fetch(struct row *rows, size_t n, const char *method, size_t off)
{
    struct qadmin_req *req = calloc(n ? n : 1, sizeof(*req));
    struct qadmin_result *res = calloc(n ? n : 1, sizeof(*res));

    if (!req || !res) {
        cli_err("out of memory");
        exit(CLI_FAIL);
    }
    for (size_t i = 0; i < n; i++)
        req[i] = (struct qadmin_req){method, NULL, rows[i].vm.name, NULL, 0};
    qadmin_call_many(req, res, n);
    for (size_t i = 0; i < n; i++)
        memcpy((char *)&rows[i] + off, &res[i], sizeof(res[i]));
    free(req);
    free(res);
}

int main(int argc, char **argv)
{
    enum { O_RAW_LIST = 256, O_RAW_DATA, O_FORMAT, O_RUNNING, O_HALTED, O_PAUSED, O_TAGS, O_CLASS };
    static const struct option opts[] = {{"fields", required_argument, NULL, 'O'},
                                         {"raw-list", no_argument, NULL, O_RAW_LIST},
                                         {"raw-data", no_argument, NULL, O_RAW_DATA},
                                         {"format", required_argument, NULL, O_FORMAT},
                                         {"running", no_argument, NULL, O_RUNNING},
                                         {"halted", no_argument, NULL, O_HALTED},
                                         {"paused", no_argument, NULL, O_PAUSED},
                                         {"tags", required_argument, NULL, O_TAGS},
                                         {"class", required_argument, NULL, O_CLASS},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    static char default_fields[] = "name,state,class,label,template,netvm";
    const char *fields[MAX_FIELDS], *tags[MAX_TAGS], *classes[MAX_TAGS], *states[3];
    size_t nf = 0, ntags = 0, nclasses = 0, nstates = 0, n = 0, cap = 64, pos = 0;
    bool raw_list = false, raw_data = false, json = false, need_props = false;
    struct qadmin_result list;
    struct qadmin_str line;
    struct row *rows;
    int c, rc = CLI_OK;

    cli_prog = "qvm-ls";
    while ((c = getopt_long(argc, argv, "O:h", opts, NULL)) != -1) {
        switch (c) {
        case 'O':
            nf = split_commas(optarg, fields, MAX_FIELDS, 0);
            break;
        case O_RAW_LIST:
            raw_list = true;
            break;
        case O_RAW_DATA:
            raw_data = true;
            break;
        case O_FORMAT:
            if (strcmp(optarg, "json") == 0)
                json = true;
            else if (strcmp(optarg, "simple") != 0)
                cli_usage("unknown format '%s' (simple or json)", optarg);
            break;
        case O_RUNNING:
            add_state(states, &nstates, "Running");
            break;
        case O_HALTED:
            add_state(states, &nstates, "Halted");
            break;
        case O_PAUSED:
            add_state(states, &nstates, "Paused");
            break;
        case O_TAGS:
            ntags = split_commas(optarg, tags, MAX_TAGS, ntags);
            break;
        case O_CLASS:
            if (nclasses == MAX_TAGS)
                cli_usage("too many --class");
            classes[nclasses++] = optarg;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            cli_usage("unknown option (see qvm-ls --help)");
        }
    }
    /* the default columns are always known: dom0 alone has no template */
    bool chosen = nf > 0;
    if (nf == 0)
        nf = split_commas(default_fields, fields, MAX_FIELDS, 0);
    for (size_t f = 0; f < nf; f++) {
        /* columns are property names; accept them in capitals as shown */
        for (char *p = (char *)fields[f]; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        if (strcmp(fields[f], "name") && strcmp(fields[f], "state") && strcmp(fields[f], "class"))
            need_props = true;
    }
    for (int i = optind; i < argc; i++)
        cli_check_vm_name(argv[i]);

    if (cli_call("admin.vm.List", NULL, "dom0", NULL, &list) < 0)
        return CLI_FAIL;
    rows = calloc(cap, sizeof(*rows));
    while (rows && qadmin_next_line(list.data, &pos, &line)) {
        struct qadmin_vm vm;
        bool keep = true;
        if (line.len == 0)
            continue;
        if (qadmin_parse_vm_line(line, &vm) < 0) {
            cli_err("qvmd listed a malformed line: %s", LOG_UNTRUSTED(line.p, line.len));
            return CLI_FAIL;
        }
        if (nstates) {
            keep = false;
            for (size_t i = 0; i < nstates; i++)
                keep |= strcasecmp(vm.state, states[i]) == 0;
        }
        if (keep && nclasses) {
            keep = false;
            for (size_t i = 0; i < nclasses; i++)
                keep |= strcasecmp(vm.klass, classes[i]) == 0;
        }
        if (keep && optind < argc) {
            keep = false;
            for (int i = optind; i < argc; i++)
                keep |= strcmp(vm.name, argv[i]) == 0;
        }
        if (!keep)
            continue;
        if (n == cap && !(rows = realloc(rows, (cap *= 2) * sizeof(*rows))))
            break;
        memset(&rows[n], 0, sizeof(rows[n]));
        rows[n++].vm = vm;
    }
    if (!rows) {
        cli_err("out of memory");
        return CLI_FAIL;
    }
    /* a qube asked for by name must exist */
    for (int i = optind; i < argc; i++) {
        bool found = false;
        for (size_t j = 0; j < n; j++)
            found |= strcmp(rows[j].vm.name, argv[i]) == 0;
        if (!found && nstates == 0 && nclasses == 0) {
            cli_err("no such qube: %s", argv[i]);
            rc = CLI_FAIL;
        }
    }
    if (ntags) {
        size_t kept = 0;
        fetch(rows, n, "admin.vm.tag.List", offsetof(struct row, tags));
        for (size_t i = 0; i < n; i++) {
            bool keep = false;
            for (size_t t = 0; t < ntags; t++)
                keep |= has_tag(&rows[i].tags, tags[t]);
            qadmin_result_free(&rows[i].tags);
            if (keep)
                rows[kept++] = rows[i];
        }
        n = kept;
    }
    qsort(rows, n, sizeof(*rows), by_name);
    if (raw_list) {
        for (size_t i = 0; i < n; i++)
            puts(rows[i].vm.name);
    } else {
        if (need_props)
            fetch(rows, n, "admin.vm.property.GetAll", offsetof(struct row, props));
        /* an unknown column is a usage error, told apart from an unset
         * property by no listed qube having it */
        for (size_t f = 0; f < nf && need_props && n && chosen; f++) {
            struct qadmin_prop p;
            bool known = !strcmp(fields[f], "name") || !strcmp(fields[f], "state") ||
                         !strcmp(fields[f], "class");
            for (size_t i = 0; i < n && !known; i++)
                known = find_prop(&rows[i].props, fields[f], &p);
            if (!known)
                cli_usage("unknown field '%s'", fields[f]);
        }
        if (json)
            print_json(rows, n, fields, nf);
        else
            print_table(rows, n, fields, nf, raw_data);
    }
    for (size_t i = 0; i < n; i++)
        qadmin_result_free(&rows[i].props);
    free(rows);
    qadmin_result_free(&list);
    return rc;
}
