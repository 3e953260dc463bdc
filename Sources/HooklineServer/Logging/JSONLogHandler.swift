import HooklineCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Logs as JSON lines on standard error — `{"ts","level","label","message", …metadata}` — for log
/// collectors. Each line goes out in one `write`.
package struct JSONLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?
    package var logLevel: Logger.Level = .info
    private let label: String

    package init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var object: JSONObject = [
            "ts": .string(UnixTime.now().rfc3339), "level": .string(event.level.rawValue), "label": .string(label),
            "message": .string(event.message.description),
        ]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        if let error = event.error { merged["error"] = .string("\(error)") }
        for key in merged.keys.sorted() {
            if let value = merged[key] { object[key] = Self.json(value) }
        }
        var bytes = JSONWriter.bytes(.object(object))
        bytes.append(UInt8(ascii: "\n"))
        bytes.withUnsafeBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let dictionary): .object(JSONObject(dictionary.keys.sorted().map { .init(key: $0, value: json(dictionary[$0] ?? "")) }))
        }
    }
}

/// How `hookline` writes its own log (not the audit log).
package enum LogFormat: String, Sendable, CaseIterable {
    /// Human text on a terminal, JSON lines otherwise.
    case auto
    case human
    case json

    /// Installs the process-wide log handler at `level`.
    package func bootstrap(level: Logger.Level) {
        let useJSON = self == .json || (self == .auto && isatty(STDERR_FILENO) != 1)
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = useJSON ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
