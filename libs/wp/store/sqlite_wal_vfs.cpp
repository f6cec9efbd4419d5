// The "wp-walbatch" SQLite VFS: the default VFS, except that writes to a WAL file are gathered and written with one
// pwrite when SQLite syncs the WAL (connection.hpp, wal_batching_vfs()).
//
// Why: SQLite 3.40 writes each WAL frame with two pwrite calls (its 24-byte header, then the page), so a commit that
// dirties 100 pages costs 200 system calls before its fsync. On this project's 2-core VMs a system call costs a few
// microseconds of the serial writer's CPU: the market's publish batches measured ~14 pwrite calls per published order.
// Gathered, a commit's frames go out in writes of up to 124 KiB (the default VFS's limit per call, see flush()).
//
// Correctness: WAL writes are buffered only while they append contiguously; any other call on the WAL file (a read, a
// sync, a truncate, the size, a file control, a close) and any non-contiguous write first writes the buffer out, so
// the file seen through this handle is always what SQLite wrote, in the order it wrote it. Other connections read only
// frames of committed transactions; with synchronous=FULL (the only mode it is used with, see open_sqlite) a commit
// syncs the WAL — which writes the buffer out and reports its errors — before the wal-index header that makes the
// frames visible is updated. Every other file (the database, journals, the -shm mapping) is the default VFS's own.

#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "connection.hpp"

namespace wp::store::detail {
namespace {

constexpr sqlite3_int64 kMaxPending = 8 << 20;  // bytes gathered at most before they are written out

struct WalFile {
    sqlite3_file base;   // base.pMethods = &kWalMethods
    sqlite3_file* real;  // the default VFS's file, in the same allocation (after this struct)
    char* buf;           // pending bytes (malloc), written at offset `off`
    sqlite3_int64 off;
    sqlite3_int64 len;
    sqlite3_int64 cap;
};

sqlite3_vfs* g_base = nullptr;
sqlite3_vfs g_vfs;

WalFile* wal(sqlite3_file* f) { return reinterpret_cast<WalFile*>(f); }

// The default (unix) VFS writes at most 0x1ffff bytes per pwrite and takes the count modulo that (a write of exactly
// 128 KiB would write nothing and fail with SQLITE_FULL): the buffer goes out in chunks below it.
constexpr sqlite3_int64 kChunk = 0x1f000;

int flush(WalFile* w) {
    const sqlite3_int64 len = w->len;
    w->len = 0;
    for (sqlite3_int64 done = 0; done < len; done += kChunk) {
        const int n = static_cast<int>(std::min(kChunk, len - done));
        if (const int rc = w->real->pMethods->xWrite(w->real, w->buf + done, n, w->off + done); rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

int x_close(sqlite3_file* f) {
    WalFile* w = wal(f);
    const int rc = flush(w);
    const int rc2 = w->real->pMethods->xClose(w->real);
    std::free(w->buf);
    w->buf = nullptr;
    return rc != SQLITE_OK ? rc : rc2;
}

int x_read(sqlite3_file* f, void* out, int amt, sqlite3_int64 off) {
    WalFile* w = wal(f);
    if (const int rc = flush(w); rc != SQLITE_OK) return rc;
    return w->real->pMethods->xRead(w->real, out, amt, off);
}

int x_write(sqlite3_file* f, const void* data, int amt, sqlite3_int64 off) {
    WalFile* w = wal(f);
    if (w->len > 0 && (off != w->off + w->len || w->len + amt > kMaxPending || amt > kChunk))
        if (const int rc = flush(w); rc != SQLITE_OK) return rc;
    if (amt > kChunk) return w->real->pMethods->xWrite(w->real, data, amt, off);  // not a frame: as SQLite wrote it
    if (w->len == 0) w->off = off;
    if (w->len + amt > w->cap) {
        sqlite3_int64 cap = w->cap == 0 ? (sqlite3_int64{1} << 16) : w->cap;
        while (cap < w->len + amt) cap *= 2;
        void* grown = std::realloc(w->buf, static_cast<std::size_t>(cap));
        if (grown == nullptr) {
            if (const int rc = flush(w); rc != SQLITE_OK) return rc;
            return w->real->pMethods->xWrite(w->real, data, amt, off);
        }
        w->buf = static_cast<char*>(grown);
        w->cap = cap;
    }
    std::memcpy(w->buf + w->len, data, static_cast<std::size_t>(amt));
    w->len += amt;
    return SQLITE_OK;
}

int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
    WalFile* w = wal(f);
    if (const int rc = flush(w); rc != SQLITE_OK) return rc;
    return w->real->pMethods->xTruncate(w->real, size);
}

int x_sync(sqlite3_file* f, int flags) {
    WalFile* w = wal(f);
    if (const int rc = flush(w); rc != SQLITE_OK) return rc;
    return w->real->pMethods->xSync(w->real, flags);
}

int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
    WalFile* w = wal(f);
    if (const int rc = flush(w); rc != SQLITE_OK) return rc;
    return w->real->pMethods->xFileSize(w->real, size);
}

int x_lock(sqlite3_file* f, int level) { return wal(f)->real->pMethods->xLock(wal(f)->real, level); }
int x_unlock(sqlite3_file* f, int level) { return wal(f)->real->pMethods->xUnlock(wal(f)->real, level); }
int x_check_reserved_lock(sqlite3_file* f, int* out) {
    return wal(f)->real->pMethods->xCheckReservedLock(wal(f)->real, out);
}

int x_file_control(sqlite3_file* f, int op, void* arg) {
    WalFile* w = wal(f);
    if (const int rc = flush(w); rc != SQLITE_OK) return rc;
    return w->real->pMethods->xFileControl(w->real, op, arg);
}

int x_sector_size(sqlite3_file* f) { return wal(f)->real->pMethods->xSectorSize(wal(f)->real); }
int x_device_characteristics(sqlite3_file* f) { return wal(f)->real->pMethods->xDeviceCharacteristics(wal(f)->real); }

// The -shm and memory-map methods are never called on a WAL file (they belong to the database file); forwarded all
// the same so that the wrapper is a complete version-3 file.
int x_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
    return wal(f)->real->pMethods->xShmMap(wal(f)->real, page, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    return wal(f)->real->pMethods->xShmLock(wal(f)->real, offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) { wal(f)->real->pMethods->xShmBarrier(wal(f)->real); }
int x_shm_unmap(sqlite3_file* f, int delete_flag) {
    return wal(f)->real->pMethods->xShmUnmap(wal(f)->real, delete_flag);
}
int x_fetch(sqlite3_file* f, sqlite3_int64 off, int amt, void** out) {
    WalFile* w = wal(f);
    if (const int rc = flush(w); rc != SQLITE_OK) return rc;
    return w->real->pMethods->xFetch(w->real, off, amt, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
    return wal(f)->real->pMethods->xUnfetch(wal(f)->real, off, p);
}

const sqlite3_io_methods kWalMethods = {
    3,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved_lock,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    x_fetch,
    x_unfetch,
};

int vfs_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
    if ((flags & SQLITE_OPEN_WAL) == 0) return g_base->xOpen(g_base, name, file, flags, out_flags);
    WalFile* w = wal(file);
    w->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + sizeof(WalFile));
    w->buf = nullptr;
    w->off = w->len = w->cap = 0;
    w->base.pMethods = nullptr;
    const int rc = g_base->xOpen(g_base, name, w->real, flags, out_flags);
    if (w->real->pMethods != nullptr) w->base.pMethods = &kWalMethods;  // SQLite calls xClose even on a failed open
    return rc;
}

int vfs_delete(sqlite3_vfs*, const char* name, int sync_dir) { return g_base->xDelete(g_base, name, sync_dir); }
int vfs_access(sqlite3_vfs*, const char* name, int flags, int* out) {
    return g_base->xAccess(g_base, name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
    return g_base->xFullPathname(g_base, name, n, out);
}
void* vfs_dl_open(sqlite3_vfs*, const char* name) { return g_base->xDlOpen(g_base, name); }
void vfs_dl_error(sqlite3_vfs*, int n, char* out) { g_base->xDlError(g_base, n, out); }
void (*vfs_dl_sym(sqlite3_vfs*, void* lib, const char* sym))(void) { return g_base->xDlSym(g_base, lib, sym); }
void vfs_dl_close(sqlite3_vfs*, void* lib) { g_base->xDlClose(g_base, lib); }
int vfs_randomness(sqlite3_vfs*, int n, char* out) { return g_base->xRandomness(g_base, n, out); }
int vfs_sleep(sqlite3_vfs*, int us) { return g_base->xSleep(g_base, us); }
int vfs_current_time(sqlite3_vfs*, double* out) { return g_base->xCurrentTime(g_base, out); }
int vfs_get_last_error(sqlite3_vfs*, int n, char* out) { return g_base->xGetLastError(g_base, n, out); }
int vfs_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) { return g_base->xCurrentTimeInt64(g_base, out); }
int vfs_set_system_call(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr p) {
    return g_base->xSetSystemCall(g_base, name, p);
}
sqlite3_syscall_ptr vfs_get_system_call(sqlite3_vfs*, const char* name) { return g_base->xGetSystemCall(g_base, name); }
const char* vfs_next_system_call(sqlite3_vfs*, const char* name) { return g_base->xNextSystemCall(g_base, name); }

}  // namespace

const char* wal_batching_vfs() {
    static std::once_flag once;
    static const char* name = nullptr;
    std::call_once(once, [] {
        sqlite3_initialize();
        g_base = sqlite3_vfs_find(nullptr);
        if (g_base == nullptr || g_base->iVersion < 3) return;
        g_vfs = sqlite3_vfs{};
        g_vfs.iVersion = 3;
        g_vfs.szOsFile = static_cast<int>(sizeof(WalFile)) + g_base->szOsFile;
        g_vfs.mxPathname = g_base->mxPathname;
        g_vfs.zName = "wp-walbatch";
        g_vfs.xOpen = vfs_open;
        g_vfs.xDelete = vfs_delete;
        g_vfs.xAccess = vfs_access;
        g_vfs.xFullPathname = vfs_full_pathname;
        g_vfs.xDlOpen = vfs_dl_open;
        g_vfs.xDlError = vfs_dl_error;
        g_vfs.xDlSym = vfs_dl_sym;
        g_vfs.xDlClose = vfs_dl_close;
        g_vfs.xRandomness = vfs_randomness;
        g_vfs.xSleep = vfs_sleep;
        g_vfs.xCurrentTime = vfs_current_time;
        g_vfs.xGetLastError = vfs_get_last_error;
        g_vfs.xCurrentTimeInt64 = vfs_current_time_int64;
        g_vfs.xSetSystemCall = vfs_set_system_call;
        g_vfs.xGetSystemCall = vfs_get_system_call;
        g_vfs.xNextSystemCall = vfs_next_system_call;
        if (sqlite3_vfs_register(&g_vfs, 0) == SQLITE_OK) name = g_vfs.zName;
    });
    return name;
}

}  // namespace wp::store::detail
