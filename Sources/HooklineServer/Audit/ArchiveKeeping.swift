import HooklineCore

/// `audit.payloads: redacted | none` for a file store: the live audit log is the journal, so
/// it keeps payloads whole (recovery and redrive decode them), and a rotation names the archive
/// `<log>.<time>.whole`. This pass writes each such archive as `<log>.<time>` with its openings
/// kept less (`PayloadKeeping`), then removes the whole one — the careful rewrite of
/// `AuditLogEraser`, so a crash at any point leaves a readable archive and the next pass (one
/// runs at every start) finishes.
package enum ArchiveKeeping {
    static let suffix = ".whole"

    /// Keeps less of every whole archive of the log at `path`; the archives written. The caller
    /// holds the writer's `archiveWork` (an erase rewrites archives too).
    @discardableResult
    package static func pass(_ path: String, keeping: PayloadKeeping, indexer: AuditIndexer?) throws(FileError) -> [String] {
        guard keeping != .full else { return [] }
        var written: [String] = []
        // What a pass (or an erase) cut short left: hidden partial copies, possibly whole.
        AuditLogEraser.removeLeftovers(of: path)
        for archive in AuditLogEraser.segments(of: path).dropFirst() where archive.hasSuffix(suffix) {
            let final = String(archive.dropLast(suffix.count))
            if !SystemCalls.exists(final) {
                try AuditLogEraser.rewrite(archive, into: final) { keeping.keep(line: $0) }
                written.append(final)
            }
            // The kept copy is in place (now or by a pass cut short after its rename).
            _ = try SystemCalls.unlink(archive)
            _ = try? SystemCalls.unlink(AuditIndexer.indexPath(of: archive))
            try SystemCalls.syncDirectory(of: path)
            indexer?.refresh(archive: final)
        }
        return written
    }
}
