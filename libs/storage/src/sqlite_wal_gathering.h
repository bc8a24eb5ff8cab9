// A SQLite VFS that gathers a commit's writes to its write-ahead log into few system calls.
//
// SQLite writes each WAL frame with two `pwrite`s (its 24-byte header, then the page), so a
// commit touching 60 pages makes 120 system calls, each an exit to the hypervisor in a guest.
// This VFS wraps the default one and, for WAL files only, keeps consecutive writes in a buffer
// that goes to the file in one `pwrite` (127 KiB at most) before anything that needs it there: a
// sync, a read, a truncate, a size query, a file control, a write elsewhere in the file, a close.
//
// Only for `synchronous=FULL`: a commit then syncs the WAL, which flushes the buffer,
// before SQLite publishes the new frames in the WAL index for other connections to read. With
// NORMAL a commit does not sync, and other connections could look for frames still in the
// buffer, so sqlite_database.cc opens those databases with the default VFS. Nor on a file
// without power-safe overwrite, where SQLite writes the end of a commit after its sync.
//
// A process killed with buffered writes loses only frames of a transaction that had not yet
// committed (its commit's sync had not returned), which the WAL's checksums make SQLite ignore.
#ifndef ITSM_STORAGE_SRC_SQLITE_WAL_GATHERING_H_
#define ITSM_STORAGE_SRC_SQLITE_WAL_GATHERING_H_

namespace itsm::storage::internal {

// The VFS's name for sqlite3_open_v2, registered (not as the default) on the first call.
// Null when it could not be registered: open with the default VFS then.
const char* WalGatheringVfsName();

}  // namespace itsm::storage::internal

#endif  // ITSM_STORAGE_SRC_SQLITE_WAL_GATHERING_H_
