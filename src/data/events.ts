// Typed events the data layer reports while it finds, fetches and verifies files. The library
// never prints; the CLI turns these into progress bars, log lines or NDJSON (one renderer for
// every command: src/cli/load-data.ts).

/** Where a verified file came from. */
export type FileOrigin =
  | "data-dir" // already in the data directory
  | "system" // the system dataset directory (Debian's dataset-fashion-mnist)
  | "mirror" // downloaded over HTTP(S)
  | "copy"; // copied from a directory given with --from

export type DataEvent =
  /** A file is ready: `bytes` of verified raw IDX payload at `path`, found or fetched from `source`. */
  | {
      type: "file";
      name: string;
      path: string;
      bytes: number;
      origin: FileOrigin;
      /** URL or path the payload came from. */
      source: string;
      sha256: string;
      /** "sha256": hashed now; "record": unchanged since it was hashed (size, mtime, ctime, inode). */
      verified: "sha256" | "record";
    }
  /**
   * Files are about to be put into the data directory `into`: cached from the system directory or
   * the data directory's own `.gz` files, copied (--from), or downloaded from mirrors. Once per
   * dataset and kind of source, before the first file; `bytes` is what will be written or fetched.
   */
  | {
      type: "caching";
      dataset: string;
      via: "system" | "data-dir" | "copy" | "mirror";
      from: string;
      into: string;
      bytes: number;
    }
  /** The data directory did not exist and was created (a mistyped --data-dir shows up here). */
  | { type: "directory-created"; path: string }
  /** A request for `url` got its headers; `total` is the full size when known, `offset` bytes resumed from `.part`. */
  | { type: "download-start"; name: string; url: string; offset: number; total: number | null }
  | { type: "download-progress"; name: string; url: string; received: number; total: number | null }
  /** A network error or 5xx on `url`; trying again after `delayMs`. */
  | { type: "retry"; name: string; url: string; attempt: number; delayMs: number; reason: string }
  /** `url` failed for good; the next mirror is tried. */
  | { type: "mirror-failed"; name: string; url: string; reason: string }
  /** Another process (pid) is fetching the same file; waiting for it. */
  | { type: "waiting"; name: string; pid: number }
  | { type: "warning"; message: string };

export type DataEventHandler = (event: DataEvent) => void;
