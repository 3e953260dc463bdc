import HooklineCore

/// What `hookline erase` did — or, refused or in a dry run, would have done.
package struct ErasureReport: Sendable, Hashable {
    /// An event of the contact that a target is still owed: while there is one, nothing is erased.
    package struct Owed: Sendable, Hashable {
        package var event: String
        package var targets: [String]

        package init(event: String, targets: [String]) {
            self.event = event
            self.targets = targets
        }
    }

    package var contact: String
    package var source: String?
    package var dryRun: Bool
    /// Events still owed: the erase was refused and changed nothing.
    package var owed: [Owed] = []
    /// The contact's events whose personal data is erased now (in a dry run: would be), in the
    /// audit log and the database.
    package var events = 0
    /// Lines of the audit log erased by this run (in a dry run: that would be).
    package var erasedLines = 0
    /// The contact's lines an earlier run had erased.
    package var alreadyErasedLines = 0
    /// The files rewritten (in a dry run: that would be).
    package var files: [String] = []
    /// Rows of the shared database's events erased by this run (nil without a database).
    package var databaseRows: Int?
    /// Audit lines waiting in the database's outbox that were erased.
    package var outboxLines = 0

    package init(contact: String, source: String?, dryRun: Bool) {
        self.contact = contact
        self.source = source
        self.dryRun = dryRun
    }

    package var refused: Bool { !owed.isEmpty }

    package var json: JSONValue {
        var object: JSONObject = [
            "contact": .string(contact), "dry_run": .bool(dryRun), "events": .number(String(events)),
            "erased_lines": .number(String(erasedLines)), "already_erased_lines": .number(String(alreadyErasedLines)),
            "files": .array(files.map(JSONValue.string)), "outbox_lines": .number(String(outboxLines)),
            "owed": .array(owed.map { .object(["event": .string($0.event), "targets": .array($0.targets.map(JSONValue.string))]) }),
        ]
        if let source { object["source"] = .string(source) }
        if let databaseRows { object["database_rows"] = .number(String(databaseRows)) }
        return .object(object)
    }

    package init?(json: JSONValue) {
        guard let contact = json["contact"]?.stringValue, let dryRun = json["dry_run"]?.boolValue else { return nil }
        self.init(contact: contact, source: json["source"]?.stringValue, dryRun: dryRun)
        events = json["events"]?.intValue ?? 0
        erasedLines = json["erased_lines"]?.intValue ?? 0
        alreadyErasedLines = json["already_erased_lines"]?.intValue ?? 0
        files = json["files"]?.arrayValue?.compactMap(\.stringValue) ?? []
        outboxLines = json["outbox_lines"]?.intValue ?? 0
        databaseRows = json["database_rows"]?.intValue
        owed = (json["owed"]?.arrayValue ?? []).compactMap { item in
            item["event"]?.stringValue.map { Owed(event: $0, targets: item["targets"]?.arrayValue?.compactMap(\.stringValue) ?? []) }
        }
    }
}
