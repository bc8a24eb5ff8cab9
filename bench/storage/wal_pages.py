#!/usr/bin/env python3
"""Which b-trees each commit writes: the frames of a SQLite write-ahead log split at its commit
frames, each page named by SQLite's dbstat on a copy of the database and its log.

    python3 bench/storage/wal_pages.py <copy of the .db, its -wal beside it> [--last 50]

Copy the database and its -wal while a service writes (both files, the database first), then
point this at the copy: the live files are never opened. A frame written half-way at the end of
the copy is ignored; SQLite's own reading of the copy ignores frames after the last whole commit.
"""
import argparse
import collections
import os
import shutil
import sqlite3
import struct
import tempfile

WAL_HEADER_BYTES = 32
FRAME_HEADER_BYTES = 24


def commits_in(wal):
    """The page numbers each commit of the log wrote, in order."""
    page_size = struct.unpack('>I', wal[8:12])[0]
    commits, current = [], []
    offset = WAL_HEADER_BYTES
    while offset + FRAME_HEADER_BYTES + page_size <= len(wal):
        page, size_after_commit = struct.unpack('>II', wal[offset:offset + 8])
        current.append(page)
        if size_after_commit:  # the last frame of a commit carries the database's size
            commits.append(current)
            current = []
        offset += FRAME_HEADER_BYTES + page_size
    return page_size, commits


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('database')
    parser.add_argument('--last', type=int, default=50, help='commits to count, the latest')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        copy = os.path.join(work, 'copy.db')
        shutil.copy(args.database, copy)
        shutil.copy(args.database + '-wal', copy + '-wal')
        with open(copy + '-wal', 'rb') as f:
            page_size, commits = commits_in(f.read())
        db = sqlite3.connect(copy)
        owner = {page: name for name, page in db.execute('SELECT name, pageno FROM dbstat')}
        db.close()
    counted = commits[-args.last:]
    if not counted:
        print('no whole commit in the log')
        return
    pages = collections.Counter()
    for commit in counted:
        for page in set(commit):
            pages[owner.get(page, '(outside any b-tree)')] += 1
    print(f'page size {page_size}, {len(commits)} commits in the log; '
          f'distinct pages a commit over the last {len(counted)}:')
    for name, n in pages.most_common():
        print(f'  {name:<44} {n / len(counted):6.2f}')
    print(f'  {"all":<44} {sum(len(set(c)) for c in counted) / len(counted):6.2f}')


if __name__ == '__main__':
    main()
