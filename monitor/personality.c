/* personality.c: from what the loader found in an ELF file to the calls it will make. */
#include "personality.h"
#include "linux/lx.h"
#include "native/hypercalls.h"

static const struct personality *const all[] = {&native_personality, &lx_personality};

const struct personality *personality_of(const struct elf_image *img)
{
    return img->kind == ELF_UKMON ? &native_personality : &lx_personality;
}

void personality_release_all(struct ukmon_vm *vm)
{
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (all[i]->release)
            all[i]->release(vm);
}
