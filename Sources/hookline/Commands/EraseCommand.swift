import ArgumentParser
import Foundation
import HooklineCore
import HooklineServer

/// `hookline erase --contact ID`: remove one contact's personal data from everything Hookline
/// keeps (GDPR Art. 17).
struct EraseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Erase a contact's personal data from the audit log, its archives and the database.",
        discussion: """
            Every line about the contact's events loses its payload and its error text, and is \
            marked with when and why it was erased (erased, erased_reason); ids, times, \
            outcomes, targets, attempts and status codes stay. With store: postgres the \
            events' payloads go too, and so do lines waiting in the outbox. An erased line \
            names the contact and how many events were affected.

            Files are rewritten the careful way: a hidden copy beside the file, synced, \
            renamed over it, the directory synced; the live log is first rotated into an \
            archive, so nothing appending to it is disturbed. A run cut short leaves every \
            file whole; running the same command again finishes it.

            While a target is still owed one of the contact's events, nothing is erased and the \
            command says which (exit 1): the payload is what the target still needs. Wait for \
            them to end, then run it again.

            A running Hookline is reached through the control socket beside its audit log; \
            with none running, the erase runs in-process. In a fleet, run it on every \
            instance's host: each keeps its own audit log (the database's part is done once).

            Examples:
              hookline erase --contact 2279 --source buildr --dry-run --config hookline.yaml
              hookline erase --contact 2279 --reason "request #4711" --config hookline.yaml
            """
    )

    @Option(help: "The contact's id, as the source sent it (the contact column of hookline tail).")
    var contact: String

    @Option(help: "Only the contact of this source (default: that id from any source).")
    var source: String?

    @Option(help: "Why, for the erased lines (a ticket number; not the person's name).")
    var reason: String = "erasure request"

    @Option(help: "Who is acting, for the audit line (default: the shell user).")
    var by: String?

    @Flag(help: "Show what would be erased, and change nothing.")
    var dryRun = false

    @Option(help: "The configuration of the Hookline to act on.")
    var config: String = "hookline.yaml"

    func validate() throws {
        if contact.isEmpty { throw ValidationError("--contact must not be empty") }
        if reason.isEmpty { throw ValidationError("--reason must not be empty") }
    }

    func run() async throws {
        let configuration = try ConfigurationFile.load(config)
        if let source, !configuration.sources.contains(where: { $0.name == source }) {
            throw CommandFailure.usage(
                "no source named '\(source)' in \(config) (sources: \(configuration.sources.map(\.name).joined(separator: ", ")))")
        }
        let who = actingUser(by)
        let erasure = ContactErasure(contact: contact, source: source, reason: reason, at: .now())
        let dryRun = self.dryRun
        let report = try await onRunningOrInProcess(
            configuration, socket: { try await ControlClient.erase(erasure, by: who, dryRun: dryRun, socket: ControlClient.socket(forAuditLog: configuration.audit.path)) },
            inProcess: { try await $0.store.erase(erasure, by: who, dryRun: dryRun) })
        try show(report)
    }

    private func show(_ report: ErasureReport) throws {
        let subject = "contact \(report.contact)\(report.source.map { " of \($0)" } ?? "")"
        guard !report.refused else {
            for owed in report.owed { Console.show("  \(owed.event) → \(owed.targets.joined(separator: ", "))") }
            throw CommandFailure.runtime(
                """
                \(report.owed.count) event\(report.owed.count == 1 ? "" : "s") of \(subject) \(report.owed.count == 1 ? "is" : "are") still \
                owed to a target (above); nothing was erased. Wait until they end (hookline tail --event ID), then run this again.
                """)
        }
        let verb = report.dryRun ? "would erase" : "erased"
        var summary = "\(verb) \(subject): \(report.events) event\(report.events == 1 ? "" : "s"), "
        summary += "\(report.erasedLines) line\(report.erasedLines == 1 ? "" : "s") in \(report.files.count) file\(report.files.count == 1 ? "" : "s")"
        if report.alreadyErasedLines > 0 { summary += " (\(report.alreadyErasedLines) erased before)" }
        Console.show(summary)
        for file in report.files { Console.show("  \(file)") }
        if let rows = report.databaseRows {
            Console.show("  database: \(rows) event\(rows == 1 ? "" : "s")\(report.outboxLines > 0 ? ", \(report.outboxLines) outbox lines" : "")")
        }
        if report.events == 0 { Console.show("nothing of \(subject) is kept") }
    }
}
