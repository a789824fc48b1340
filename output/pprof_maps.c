/*
 * pprof_maps: the Mapping entries of a profile (see pprof_internal.h).
 * One mapping per executable line of /proc/self/maps, as Go's
 * parseProcSelfMaps keeps them, each with the ELF build id of the loaded
 * object it belongs to, read from the object's PT_NOTE segments in memory
 * (dl_iterate_phdr: no file is opened).  Runs at write time, after the
 * symbolizer has loaded what it needs, so that the mappings of a first
 * profile are those of the next ones.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/forkguard.h"
#include "base/procparse.h"
#include "output/pprof_internal.h"

/* One line of /proc/self/maps; executable, file-backed (or named, like
 * [vdso]) mappings are kept, as Go's parseProcSelfMaps keeps them. */
static int parse_maps_line(void *arg, char *line)
{
    tp_pprof_t *p = ((void **)arg)[0];
    derived_t *w = ((void **)arg)[1];
    tp_maps_line_t ml;
    if (!tp_maps_parse_line(line, &ml))
        return 0;
    if (TP_PPROF_GROW(w->maps, w->maps_cap, w->nmaps + 1) != 0)
        return -ENOMEM;
    int64_t f = tp__pprof_intern_n(p, ml.file, ml.file_len);
    if (f < 0)
        return (int)f;
    mapping_t *m = &w->maps[w->nmaps++];
    memset(m, 0, sizeof *m);
    m->start = ml.start;
    m->limit = ml.limit;
    m->offset = ml.offset;
    m->file = f;
    return 0;
}

/* Reads /proc/self/maps line by line through a fixed buffer (lines
 * longer than it, impossible with PATH_MAX paths, are skipped).  A
 * process without /proc gets no mappings, which is not an error. */
int tp__pprof_read_maps(tp_pprof_t *p, derived_t *w)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    void *arg[2] = {p, w};
    int rc = tp_maps_each_line(fd, parse_maps_line, arg);
    close(fd);
    return rc;
}

/* The NT_GNU_BUILD_ID note of a loaded object, read from its PT_NOTE
 * segments in memory.  Returns the id's length (0: none). */
static size_t object_build_id(const struct dl_phdr_info *info, unsigned char *out)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        size_t align = ph->p_align == 8 ? 8 : 4;
        const unsigned char *q = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        size_t left = ph->p_memsz;
        while (left >= sizeof(ElfW(Nhdr))) {
            ElfW(Nhdr) nh;
            memcpy(&nh, q, sizeof nh);
            size_t name_sz = (nh.n_namesz + align - 1) & ~(align - 1);
            size_t desc_sz = (nh.n_descsz + align - 1) & ~(align - 1);
            if (name_sz > left - sizeof nh || desc_sz > left - sizeof nh - name_sz)
                break;
            const unsigned char *name = q + sizeof nh;
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
                memcmp(name, "GNU", 4) == 0 && nh.n_descsz > 0) {
                size_t n = nh.n_descsz < TP_PPROF_MAX_BUILD_ID ? nh.n_descsz
                                                               : TP_PPROF_MAX_BUILD_ID;
                memcpy(out, name + name_sz, n);
                return n;
            }
            q += sizeof nh + name_sz + desc_sz;
            left -= sizeof nh + name_sz + desc_sz;
        }
    }
    return 0;
}

/* dl_iterate_phdr callback: gives each mapping that overlaps a loadable
 * segment of the object the object's build id.  Allocates nothing (it runs
 * with the loader's lock held). */
static int match_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    derived_t *w = data;
    unsigned char bid[TP_PPROF_MAX_BUILD_ID];
    size_t n = 0;
    int looked = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
            continue;
        uint64_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        for (size_t j = 0; j < w->nmaps; j++) {
            mapping_t *m = &w->maps[j];
            if (m->bid_len != 0 || m->start >= hi || m->limit <= lo)
                continue;
            if (!looked) {
                n = object_build_id(info, bid);
                looked = 1;
            }
            if (n == 0)
                return 0;
            memcpy(m->bid, bid, n);
            m->bid_len = n;
        }
    }
    return 0;
}

int tp__pprof_add_build_ids(tp_pprof_t *p, derived_t *w)
{
    if (w->nmaps == 0)
        return 0;
    tp_loader_enter_wait(100);          /* no fork meanwhile (base/forkguard.c) */
    dl_iterate_phdr(match_build_id, w);
    tp_loader_leave();
    for (size_t i = 0; i < w->nmaps; i++) {
        mapping_t *m = &w->maps[i];
        if (m->bid_len == 0)
            continue;
        char hex[2 * TP_PPROF_MAX_BUILD_ID + 1];
        for (size_t j = 0; j < m->bid_len; j++)
            snprintf(hex + 2 * j, 3, "%02x", m->bid[j]);
        int64_t s = tp__pprof_intern(p, hex);
        if (s < 0)
            return (int)s;
        m->build_id = s;
    }
    return 0;
}

/* The mapping holding addr (maps are sorted by address): its 1-based id,
 * or 0. */
static uint64_t mapping_of(const derived_t *w, uint64_t addr)
{
    size_t lo = 0, hi = w->nmaps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (addr < w->maps[mid].start)
            hi = mid;
        else if (addr >= w->maps[mid].limit)
            lo = mid + 1;
        else
            return mid + 1;
    }
    return 0;
}

/* Points each location at its mapping and sets the mappings' has_* flags
 * from what the symbolizer gave for the locations in them. */
void tp__pprof_assign_mappings(const tp_pprof_t *p, derived_t *w)
{
    for (size_t i = 0; i < p->nlocs; i++) {
        uint64_t mid = mapping_of(w, p->locs[i].addr);
        w->loc_mapping[i] = mid;
        if (mid == 0)
            continue;
        mapping_t *m = &w->maps[mid - 1];
        unsigned gave = w->loc_gave[i];
        m->has_functions |= (gave & GAVE_FUNCTION) != 0;
        m->has_filenames |= (gave & GAVE_FILENAME) != 0;
        m->has_line_numbers |= (gave & GAVE_LINE_NUMBER) != 0;
        /* Line numbers come from the libdw back end, which expands inlined
         * calls: its answers are complete in that respect (pprof's own
         * symbolizer sets the flag the same way). */
        m->has_inline_frames |= (gave & (GAVE_INLINE | GAVE_LINE_NUMBER)) != 0;
    }
}
