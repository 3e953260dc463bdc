import HooklineCore

extension AuditLogWriter {
    /// Archives the current file and starts a new one holding what is still owed
    /// (`CarryForward`). Crash-safe: the new file is written and synced under `.next`, the old
    /// one hard-linked to its archive name, then the new one renamed over the path — at every
    /// moment the path holds a complete log. A failure leaves the current file in use, and is
    /// returned.
    @discardableResult
    func rotate() -> JournalFailure? {
        var state = file.withLockedValue { $0 }
        let now = UnixTime.now()
        if !options.keepsJournal { state.journal = AuditLogIndex() }
        let carried = CarryForward.plan(
            state.journal, now: now, dedupMaxAge: options.dedupMaxAge, dedupMaxEntries: options.dedupMaxEntries,
            opening: { Self.record(at: $0.offset, of: $0.event, in: state.file) })
        let path = state.file.path
        let archive: String
        let next: AuditFile
        do {
            // Payloads kept less in archives: this one is whole until `ArchiveKeeping` writes it.
            let whole = options.keepsJournal && options.payloads != .full ? ArchiveKeeping.suffix : ""
            (archive, next) = try replace(path, with: carried.lines, archiveSuffix: Self.archiveSuffix(now), whole: whole)
        } catch {
            let failure = JournalFailure(error)
            health.withLockedValue { $0 = failure }
            logger.error("could not rotate the audit log; still writing to it", metadata: ["error": "\(failure)"])
            return failure
        }
        do {
            try state.file.close()
        } catch {
            // Its lines were synced before the new file replaced it; the archive keeps them.
            logger.warning("the archived audit log did not close cleanly", metadata: ["archive": .string(archive), "error": "\(error)"])
        }
        let size = Int64(carried.lines.count)
        file.withLockedValue { current in
            current.file = next
            current.size = size
            current.baseSize = size
            current.journal = carried.journal
            current.rotations += 1
        }
        observer?.rotated()
        for lost in carried.uncarried {
            // Its worker still holds the job; only a restart before it finishes would forget it.
            logger.error(
                "an owed event could not be carried into the new audit log",
                metadata: ["event": .string(lost.event), "targets": .string(lost.targets.joined(separator: ",")), "error": "\(lost.error)"])
        }
        if !carried.uncarried.isEmpty { observer?.couldNotCarry(events: carried.uncarried.count) }
        logger.info(
            "rotated the audit log",
            metadata: ["archive": .string(archive), "carried_events": "\(carried.journal.pendingCount)", "carried_bytes": "\(size)"])
        return nil
    }

    /// Writes `lines` as the new file at `path` and archives the old one: the archive's name
    /// and the new file, open and locked.
    private func replace(_ path: String, with lines: [UInt8], archiveSuffix: String, whole: String) throws(FileError) -> (String, AuditFile) {
        let nextPath = path + ".next"
        let next = try AuditFile.openLocked(nextPath, truncate: true)
        do throws(FileError) {
            try next.append(lines)
            try next.sync()
            var archive = "\(path).\(archiveSuffix)\(whole)"
            var attempt = 1
            while !(try SystemCalls.link(path, as: archive)) {
                attempt += 1
                guard attempt < 100 else { throw FileError(path: archive, operation: "archive the audit log", reason: "too many archives at this instant") }
                archive = "\(path).\(archiveSuffix)-\(attempt)\(whole)"
            }
            do throws(FileError) {
                try SystemCalls.rename(nextPath, to: path)
            } catch {
                // The current file is still at path: the archive is only a second name for it.
                removeLeftover(archive)
                throw error
            }
            try SystemCalls.syncDirectory(of: path)
            // The file is now at `path`, where the next rotation links it from.
            return (archive, AuditFile(path: path, descriptor: next.descriptor))
        } catch {
            next.abandon()
            removeLeftover(nextPath)
            throw error
        }
    }

    /// Removes what a failed rotation left; what cannot be removed is logged (a `.next` file
    /// is removed at the next start anyway).
    private func removeLeftover(_ path: String) {
        do {
            try SystemCalls.unlink(path)
        } catch {
            logger.warning("could not remove what a failed rotation left", metadata: ["path": .string(path), "error": "\(error)"])
        }
    }

    /// `20261122T081910123Z`: sortable, no characters a shell or a filesystem dislikes.
    static func archiveSuffix(_ time: UnixTime) -> String {
        time.rfc3339.filter { $0 != "-" && $0 != ":" && $0 != "." }
    }
}
