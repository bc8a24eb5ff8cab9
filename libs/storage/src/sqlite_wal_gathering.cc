#include "src/sqlite_wal_gathering.h"

#include <sqlite3.h>

#include <cstring>

namespace itsm::storage::internal {
namespace {

// The default VFS writes at most 128 KiB - 1 in one call (its seekAndWrite masks the length
// with 0x1ffff: a longer write would come back short, as a full disk). So 31 frames of 4 KiB
// pages a write: a batch of 64 creates (about 110 frames) in four. Allocated on a connection's
// first write to the WAL (each connection of the pool that writes holds one).
constexpr int kBufferBytes = 127 * 1024;

// The file object SQLite allocates (szOsFile bytes): ours, then the default VFS's.
struct GatheringFile {
  sqlite3_file base;  // base.pMethods is kMethods
  sqlite3_file* inner;
  char* buffer;
  sqlite3_int64 buffer_offset;  // where buffer[0] goes in the file
  int buffered;                 // bytes in buffer
  bool gathers;                 // false: every write goes straight to the file
};

sqlite3_vfs* Inner(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }
GatheringFile* Gathering(sqlite3_file* file) { return reinterpret_cast<GatheringFile*>(file); }

int Flush(GatheringFile* f) {
  if (f->buffered == 0) return SQLITE_OK;
  const int bytes = f->buffered;
  f->buffered = 0;  // on failure too: SQLite fails the transaction and rolls back
  return f->inner->pMethods->xWrite(f->inner, f->buffer, bytes, f->buffer_offset);
}

int Close(sqlite3_file* file) {
  GatheringFile* f = Gathering(file);
  const int flushed = Flush(f);
  const int closed = f->inner->pMethods->xClose(f->inner);
  sqlite3_free(f->buffer);
  f->buffer = nullptr;
  return flushed != SQLITE_OK ? flushed : closed;
}

int Read(sqlite3_file* file, void* out, int bytes, sqlite3_int64 offset) {
  GatheringFile* f = Gathering(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->inner->pMethods->xRead(f->inner, out, bytes, offset);
}

int Write(sqlite3_file* file, const void* data, int bytes, sqlite3_int64 offset) {
  GatheringFile* f = Gathering(file);
  if (!f->gathers) return f->inner->pMethods->xWrite(f->inner, data, bytes, offset);
  const bool follows = f->buffered > 0 && offset == f->buffer_offset + f->buffered;
  if (follows && f->buffered + bytes <= kBufferBytes) {
    std::memcpy(f->buffer + f->buffered, data, bytes);
    f->buffered += bytes;
    return SQLITE_OK;
  }
  // Anywhere else in the file (a frame of this transaction written again, the header after a
  // restart), or past the buffer's end: what is buffered goes first, in order.
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  if (bytes >= kBufferBytes) return f->inner->pMethods->xWrite(f->inner, data, bytes, offset);
  if (f->buffer == nullptr) {
    f->buffer = static_cast<char*>(sqlite3_malloc(kBufferBytes));
    if (f->buffer == nullptr) return f->inner->pMethods->xWrite(f->inner, data, bytes, offset);
  }
  std::memcpy(f->buffer, data, bytes);
  f->buffer_offset = offset;
  f->buffered = bytes;
  return SQLITE_OK;
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  GatheringFile* f = Gathering(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->inner->pMethods->xTruncate(f->inner, size);
}

int Sync(sqlite3_file* file, int flags) {
  GatheringFile* f = Gathering(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->inner->pMethods->xSync(f->inner, flags);
}

int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  GatheringFile* f = Gathering(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->inner->pMethods->xFileSize(f->inner, size);
}

int Lock(sqlite3_file* file, int level) {
  sqlite3_file* inner = Gathering(file)->inner;
  return inner->pMethods->xLock(inner, level);
}

int Unlock(sqlite3_file* file, int level) {
  sqlite3_file* inner = Gathering(file)->inner;
  return inner->pMethods->xUnlock(inner, level);
}

int CheckReservedLock(sqlite3_file* file, int* out) {
  sqlite3_file* inner = Gathering(file)->inner;
  return inner->pMethods->xCheckReservedLock(inner, out);
}

int FileControl(sqlite3_file* file, int op, void* arg) {
  GatheringFile* f = Gathering(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->inner->pMethods->xFileControl(f->inner, op, arg);
}

int SectorSize(sqlite3_file* file) {
  sqlite3_file* inner = Gathering(file)->inner;
  return inner->pMethods->xSectorSize(inner);
}

int DeviceCharacteristics(sqlite3_file* file) {
  sqlite3_file* inner = Gathering(file)->inner;
  return inner->pMethods->xDeviceCharacteristics(inner);
}

// Version 1: a WAL file is never memory-mapped and has no shared memory of its own (the WAL
// index belongs to the database file, which this VFS does not wrap).
const sqlite3_io_methods kMethods = {
    .iVersion = 1,
    .xClose = Close,
    .xRead = Read,
    .xWrite = Write,
    .xTruncate = Truncate,
    .xSync = Sync,
    .xFileSize = FileSize,
    .xLock = Lock,
    .xUnlock = Unlock,
    .xCheckReservedLock = CheckReservedLock,
    .xFileControl = FileControl,
    .xSectorSize = SectorSize,
    .xDeviceCharacteristics = DeviceCharacteristics,
    .xShmMap = nullptr,
    .xShmLock = nullptr,
    .xShmBarrier = nullptr,
    .xShmUnmap = nullptr,
    .xFetch = nullptr,
    .xUnfetch = nullptr,
};

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  sqlite3_vfs* inner_vfs = Inner(vfs);
  // Everything but a WAL is the default VFS's own file, in the space SQLite allocated.
  if ((flags & SQLITE_OPEN_WAL) == 0)
    return inner_vfs->xOpen(inner_vfs, name, file, flags, out_flags);
  GatheringFile* f = Gathering(file);
  f->base.pMethods = nullptr;
  f->inner = reinterpret_cast<sqlite3_file*>(f + 1);
  f->buffer = nullptr;
  f->buffer_offset = 0;
  f->buffered = 0;
  f->gathers = false;
  const int rc = inner_vfs->xOpen(inner_vfs, name, f->inner, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (f->inner->pMethods != nullptr) f->inner->pMethods->xClose(f->inner);
    return rc;
  }
  // Without power-safe overwrite SQLite pads a commit to a sector boundary and writes the end of
  // its last frame after the sync (walWriteToLog's iSyncPoint): that write must not wait here.
  f->gathers = (f->inner->pMethods->xDeviceCharacteristics(f->inner) &
                SQLITE_IOCAP_POWERSAFE_OVERWRITE) != 0;
  f->base.pMethods = &kMethods;
  return SQLITE_OK;
}

// The rest is the default VFS's.
int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return Inner(vfs)->xDelete(Inner(vfs), name, sync_dir);
}
int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return Inner(vfs)->xAccess(Inner(vfs), name, flags, out);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return Inner(vfs)->xFullPathname(Inner(vfs), name, size, out);
}
void* DlOpen(sqlite3_vfs* vfs, const char* path) { return Inner(vfs)->xDlOpen(Inner(vfs), path); }
void DlError(sqlite3_vfs* vfs, int size, char* out) { Inner(vfs)->xDlError(Inner(vfs), size, out); }
void (*DlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return Inner(vfs)->xDlSym(Inner(vfs), handle, symbol);
}
void DlClose(sqlite3_vfs* vfs, void* handle) { Inner(vfs)->xDlClose(Inner(vfs), handle); }
int Randomness(sqlite3_vfs* vfs, int size, char* out) {
  return Inner(vfs)->xRandomness(Inner(vfs), size, out);
}
int Sleep(sqlite3_vfs* vfs, int micros) { return Inner(vfs)->xSleep(Inner(vfs), micros); }
int CurrentTime(sqlite3_vfs* vfs, double* out) { return Inner(vfs)->xCurrentTime(Inner(vfs), out); }
int GetLastError(sqlite3_vfs* vfs, int size, char* out) {
  return Inner(vfs)->xGetLastError(Inner(vfs), size, out);
}
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return Inner(vfs)->xCurrentTimeInt64(Inner(vfs), out);
}

sqlite3_vfs* Register() {
  sqlite3_vfs* inner = sqlite3_vfs_find(nullptr);
  if (inner == nullptr || inner->iVersion < 2) return nullptr;
  static sqlite3_vfs vfs = {};
  vfs.iVersion = 2;
  vfs.szOsFile = static_cast<int>(sizeof(GatheringFile)) + inner->szOsFile;
  vfs.mxPathname = inner->mxPathname;
  vfs.zName = "itsm-wal-gathering";
  vfs.pAppData = inner;
  vfs.xOpen = Open;
  vfs.xDelete = Delete;
  vfs.xAccess = Access;
  vfs.xFullPathname = FullPathname;
  vfs.xDlOpen = DlOpen;
  vfs.xDlError = DlError;
  vfs.xDlSym = DlSym;
  vfs.xDlClose = DlClose;
  vfs.xRandomness = Randomness;
  vfs.xSleep = Sleep;
  vfs.xCurrentTime = CurrentTime;
  vfs.xGetLastError = GetLastError;
  vfs.xCurrentTimeInt64 = CurrentTimeInt64;
  if (sqlite3_vfs_register(&vfs, /*makeDflt=*/0) != SQLITE_OK) return nullptr;
  return &vfs;
}

}  // namespace

const char* WalGatheringVfsName() {
  static sqlite3_vfs* const vfs = Register();
  return vfs == nullptr ? nullptr : vfs->zName;
}

}  // namespace itsm::storage::internal
