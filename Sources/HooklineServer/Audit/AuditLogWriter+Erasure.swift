import HooklineCore
import NIOPosix

extension AuditLogWriter {
    /// Erases a contact's personal data from this log's files (`AuditLogEraser`): when the live
    /// file holds any of the contact's lines, it rotates first — so its lines move into an
    /// archive nothing appends to, and what is still owed is carried into the new file — then
    /// each archive holding them is rewritten, and an `erased` line is written and synced. A dry
    /// run reads every file and changes none. Crash points (`CrashPoint`): after the rotation,
    /// before the first rename, after the first archive, before the `erased` line.
    ///
    /// The caller has checked that none of the contact's events is owed (a carried opening keeps
    /// its payload: a target still needs it). `indexer`, when the log's lines are indexed, is
    /// told of each rewritten archive.
    package func erase(
        _ erasure: ContactErasure, by: String, dryRun: Bool, indexer: AuditIndexer?, into report: inout ErasureReport
    ) async throws {
        let path = self.path
        let archiveWork = self.archiveWork
        let live = try await NIOThreadPool.singleton.runIfActive { () throws -> AuditLogEraser.FileScan in
            try archiveWork.withLock {
                AuditLogEraser.removeLeftovers(of: path)
                return try AuditLogEraser.scan(path, erasure)
            }
        }
        var scans: [AuditLogEraser.FileScan] = []
        if dryRun {
            scans.append(live)
        } else if live.changes {
            if let failure = await rotateNow() { throw failure }
            CrashPoint.reach("erase.after-rotation")
        }
        let rewritten = try await NIOThreadPool.singleton.runIfActive { () throws -> [AuditLogEraser.FileScan] in
            archiveWork.lock()
            defer { archiveWork.unlock() }
            var scans: [AuditLogEraser.FileScan] = []
            for archive in AuditLogEraser.segments(of: path).dropFirst() {
                if dryRun {
                    scans.append(try AuditLogEraser.scan(archive, erasure))
                    continue
                }
                let scan = try AuditLogEraser.rewrite(archive, erasure)
                scans.append(scan)
                if scan.changes {
                    indexer?.refresh(archive: archive)
                    CrashPoint.reach("erase.after-archive")
                }
            }
            return scans
        }
        scans += rewritten
        var events = Set<String>()
        for scan in scans {
            events.formUnion(scan.events)
            report.erasedLines += scan.erasedLines
            report.alreadyErasedLines += scan.alreadyErasedLines
            if scan.changes { report.files.append(scan.path) }
        }
        report.events = max(report.events, events.count)
        guard !dryRun else { return }
        CrashPoint.reach("erase.before-line")
        append(erasure.line(events: report.events, by: by))
        if let failure = await flush() { throw failure }
    }
}
