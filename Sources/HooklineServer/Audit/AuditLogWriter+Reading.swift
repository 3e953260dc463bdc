import Foundation
import HooklineCore
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Reading journaled lines back from the current file.
extension AuditLogWriter {
    /// The journaled line that opened an owed event (its `received` or `redriven` line), read
    /// from the current file — under the lock, so a rotation cannot move it mid-read.
    package func opening(of eventID: String) -> Result<AuditRecord, JournalReadError> {
        file.withLockedValue { state in
            guard let offset = state.journal.pendingEvent(eventID)?.offset else {
                return .failure(JournalReadError(event: eventID, .notOwed))
            }
            return Self.record(at: offset, of: eventID, in: state.file)
        }
    }

    /// The record whose line starts at `offset` of `file`.
    static func record(at offset: Int64, of eventID: String, in file: AuditFile) -> Result<AuditRecord, JournalReadError> {
        let line: [UInt8]
        do {
            line = try file.line(at: offset)
        } catch {
            return .failure(JournalReadError(event: eventID, .missing(error.description)))
        }
        do {
            return .success(try AuditRecord(jsonLine: line))
        } catch {
            return .failure(JournalReadError(event: eventID, .unreadable(error.description)))
        }
    }
}
