import HooklineCore

/// The name this instance goes by in the fleet's leases and outbox, kept beside its audit log
/// (`<audit.path>.instance`): a restart is the same instance, so it gives back its own leases at
/// once and copies what its outbox still held into the log it belongs to.
package enum InstanceIdentity {
    package static func load(auditPath: String) throws(JournalFailure) -> String {
        let path = auditPath + ".instance"
        do throws(FileError) {
            if SystemCalls.exists(path) {
                let bytes = try FileBytes.read(path, limit: 256)
                // One line: the name and its newline.
                let line = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false).first ?? []
                guard let name = validName(line) else {
                    throw FileError(
                        path: path, operation: "read",
                        reason: "it should hold one line, the instance's name (1 to 40 letters, digits, '.', '_' or '-'); delete it to be given a new name")
                }
                return name
            }
            var generator = SystemRandomNumberGenerator()
            // At most 40 characters, so the connections' application_name (63) has room for the run.
            let name = "hl-\(ProcessInfoLite.hostname.prefix(22))-\(String(UInt64.random(in: .min ... .max, using: &generator), radix: 36))"
            let temporary = path + ".new"
            let file = try SystemCalls.open(temporary, .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite, .groupRead], operation: "write")
            do {
                try SystemCalls.writeAll(Array((name + "\n").utf8), to: file, path: temporary, operation: "write")
                try SystemCalls.dataSync(file, path: temporary)
                try SystemCalls.close(file, path: temporary)
            } catch {
                SystemCalls.closeAfterReading(file)
                throw error
            }
            try SystemCalls.rename(temporary, to: path)
            try SystemCalls.syncDirectory(of: path)
            return name
        } catch {
            throw JournalFailure(error)
        }
    }

    /// The name in `line` when it is one a lease and a connection's `application_name` can carry.
    package static func validName(_ line: some Collection<UInt8>) -> String? {
        let trimmed = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            .reversed().drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }.reversed()
        let allowed: (UInt8) -> Bool = { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default: false
            }
        }
        guard (1...40).contains(trimmed.count), trimmed.allSatisfy(allowed) else { return nil }
        return String(decoding: Array(trimmed), as: UTF8.self)
    }
}
