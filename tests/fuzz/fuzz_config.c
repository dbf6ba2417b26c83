/* libFuzzer target: any bytes given to config_load_string either load into a
 * config that config_free releases, or fail with a "FILE:LINE: ..." message.
 * Crashes, leaks, hangs (alias bombs, deep nesting) and sanitizer reports are
 * the findings. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    struct config *cfg = config_load_string((const char *)data, size, "fuzz.yaml", err, sizeof(err));
    if (cfg) {
        /* walk the resolved pointers so a dangling one shows up under ASan */
        for (size_t i = 0; i < cfg->n_models; i++) {
            struct config_model *m = &cfg->models[i];
            for (size_t j = 0; j < m->n_targets; j++)
                if (!m->targets[j].provider || !m->targets[j].provider->name)
                    abort();
            for (size_t j = 0; j < m->n_fallbacks; j++)
                if (config_find_model(cfg, m->fallbacks[j]->name) != m->fallbacks[j])
                    abort();
            for (size_t j = 0; j < m->n_guardrails; j++)
                if (config_find_guardrail(cfg, m->guardrails[j]->name) != m->guardrails[j])
                    abort();
        }
        for (size_t i = 0; i < cfg->n_guardrails; i++)
            for (size_t j = 0; j < cfg->guardrails[i].n_members; j++)
                if (!cfg->guardrails[i].members[j]->name)
                    abort();
        config_free(cfg);
    } else if (strncmp(err, "fuzz.yaml:", 10) != 0) {
        abort(); /* every failure must say where */
    }
    return 0;
}
