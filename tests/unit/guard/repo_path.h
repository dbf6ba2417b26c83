/* Finds a file of the repository from a unit test, whatever the current directory:
 * $WARDEN_SRC_DIR/rel, else rel from the current directory, else rel next to the
 * repository root found from this binary's path (<root>/<BUILD...>/tests/guard/test_x).
 * Writes the path into out; returns 0 if the file is readable. */
#ifndef WARDEN_TEST_REPO_PATH_H
#define WARDEN_TEST_REPO_PATH_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline int repo_path(const char *rel, char *out, size_t outsz)
{
    const char *dir = getenv("WARDEN_SRC_DIR");
    if (dir && *dir) {
        snprintf(out, outsz, "%s/%s", dir, rel);
        return access(out, R_OK);
    }
    snprintf(out, outsz, "%s", rel);
    if (access(out, R_OK) == 0)
        return 0;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    for (int up = 0; up < 6; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash)
            break;
        *slash = '\0';
        size_t el = strlen(exe), rl = strlen(rel);
        if (el + rl + 2 > outsz)
            return -1;
        memcpy(out, exe, el);
        out[el] = '/';
        memcpy(out + el + 1, rel, rl + 1);
        if (access(out, R_OK) == 0)
            return 0;
    }
    return -1;
}

/* The toxicity model that `make` builds next to this test binary
 * (<BUILD>/tests/guard/test_x -> <BUILD>/models/toxicity.model), else build/models/. */
static inline int built_model_path(char *out, size_t outsz)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        for (int up = 0; up < 3; up++) {
            char *slash = strrchr(exe, '/');
            if (slash)
                *slash = '\0';
        }
        const char *rel = "/models/toxicity.model";
        size_t el = strlen(exe);
        if (el + strlen(rel) + 1 <= outsz) {
            memcpy(out, exe, el);
            memcpy(out + el, rel, strlen(rel) + 1);
            if (access(out, R_OK) == 0)
                return 0;
        }
    }
    return repo_path("build/models/toxicity.model", out, outsz);
}

#endif
