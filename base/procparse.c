/*
 * procparse: the agent's readers of text from /proc, as pure functions on
 * a buffer, apart from the code that opens and reads the files, so that
 * the unit tests and the fuzz targets (tests/fuzz, `make fuzz`) can call
 * them on any text: /proc/self/fd link targets, epoll fdinfo, a thread's
 * syscall file, /proc/self/cmdline and /proc/self/maps.
 */
#include "base/procparse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tp_fd_classify(const char *target, char *kind, size_t kind_len)
{
    if (strncmp(target, "pipe:", 5) == 0) {
        snprintf(kind, kind_len, "pipe");
    } else if (strncmp(target, "socket:", 7) == 0) {
        snprintf(kind, kind_len, "socket");
        return 1;
    } else if (strncmp(target, "anon_inode:", 11) == 0) {
        const char *what = target + 11;
        if (*what == '[')
            what++;
        snprintf(kind, kind_len, "%.*s", (int)strcspn(what, "]"), what);
    } else if (strncmp(target, "/dev/", 5) == 0) {
        snprintf(kind, kind_len, "device");
    } else {
        snprintf(kind, kind_len, "file");
    }
    return 0;
}

int tp_epoll_parse_tfds(const char *fdinfo, int *fds, int max)
{
    int count = 0;
    for (const char *p = strstr(fdinfo, "tfd:"); p != NULL; p = strstr(p + 4, "tfd:")) {
        if (count < max)
            fds[count] = atoi(p + 4);
        count++;
    }
    return count;
}

int tp_parse_task_syscall(const char *text, long *nr, unsigned long *sp,
                          unsigned long *pc)
{
    unsigned long a[6];
    return sscanf(text, "%ld %lx %lx %lx %lx %lx %lx %lx %lx", nr, &a[0], &a[1],
                  &a[2], &a[3], &a[4], &a[5], sp, pc) == 9 && *nr >= 0;
}

size_t tp_cmdline_clean(char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (buf[i] == '\0' || buf[i] == '\n')
            buf[i] = ' ';
    while (n > 0 && buf[n - 1] == ' ')
        n--;
    buf[n] = '\0';
    return n;
}

size_t tp_thread_name_clean(const char *raw, size_t n, char *out, size_t outlen)
{
    static const char hex[] = "0123456789abcdef";
    size_t used = 0;
    if (outlen == 0)
        return 0;
    for (size_t i = 0; i < n && raw[i] != '\0'; i++) {
        unsigned char c = (unsigned char)raw[i];
        int plain = c >= 0x20 && c != 0x7f && c != '"' && c != '\\';
        size_t need = plain ? 1 : 4;
        if (used + need >= outlen)
            break;
        if (plain) {
            out[used++] = (char)c;
        } else {
            out[used++] = '\\';
            out[used++] = 'x';
            out[used++] = hex[c >> 4];
            out[used++] = hex[c & 15];
        }
    }
    out[used] = '\0';
    return used;
}

int tp_maps_parse_line(const char *line, tp_maps_line_t *out)
{
    unsigned long long start, end, offset, inode;
    char perms[8];
    int pos = 0;
    if (sscanf(line, "%llx-%llx %7s %llx %*x:%*x %llu %n", &start, &end, perms,
               &offset, &inode, &pos) < 5 || pos == 0)
        return 0;
    if (strlen(perms) < 4 || perms[2] != 'x')
        return 0;
    const char *file = line + pos;
    size_t n = strlen(file);
    static const char deleted[] = " (deleted)";
    if (n >= sizeof deleted - 1 && strcmp(file + n - (sizeof deleted - 1), deleted) == 0)
        n -= sizeof deleted - 1;
    /* Huge-page text shows as inode 0 without a name: not a mapping of
     * code a symbolizer could find (Go skips it too). */
    if (inode == 0 && n == 0)
        return 0;
    out->start = start;
    out->limit = end;
    out->offset = offset;
    out->file = file;
    out->file_len = n;
    return 1;
}

int tp_maps_each_line(int fd, int (*each)(void *arg, char *line), void *arg)
{
    char *buf = malloc(8192 + 1);
    if (buf == NULL)
        return -ENOMEM;
    size_t len = 0;
    int skipping = 0, rc = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, 8192 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
        char *line = buf, *nl;
        while (rc == 0 && (nl = memchr(line, '\n', len - (size_t)(line - buf))) != NULL) {
            *nl = '\0';
            if (!skipping)
                rc = each(arg, line);
            skipping = 0;
            line = nl + 1;
        }
        if (rc != 0)
            break;
        len -= (size_t)(line - buf);
        memmove(buf, line, len);
        if (len == 8192) {              /* an overlong line: drop it */
            len = 0;
            skipping = 1;
        }
    }
    if (rc == 0 && len > 0 && !skipping) {  /* a last line without newline */
        buf[len] = '\0';
        rc = each(arg, buf);
    }
    free(buf);
    return rc;
}
