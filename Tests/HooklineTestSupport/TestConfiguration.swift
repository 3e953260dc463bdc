import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTools

/// Configurations for end-to-end tests, written as YAML and read by the real loader.
package enum TestConfiguration {
    package static let environment = [
        "BUILDR_WEBHOOK_SECRET": "buildr-webhook-secret-for-tests",
        "PLANNR_SIGNING_SECRET": String(repeating: "p", count: 60),
        "STANDARD_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    ]

    /// Sources for every kind, targets at `targetBase` (the sandbox), and one route per source
    /// and target kind.
    package static func yaml(
        auditPath: String,
        targetBase: String = "http://127.0.0.1:9",
        capacity: Int = 10_000,
        workers: Int = 4,
        maxBody: String = "256KiB",
        requestTimeout: String = "10s",
        fsync: String = "batch",
        retry: String = "{base_delay: 50ms, max_delay: 200ms, max_attempts: 4, max_age: 1m}",
        rateLimits: String = "off",
        plannrEvents: String = "[created, updated, deleted]",
        omnichannelBase: String? = nil,
        routes: String? = nil,
        rotate: String = "0",
        drainTimeout: String = "5s",
        targetTimeout: String = "2s",
        extraServer: String = "",
        rejected: String = "{lines_per_reason: 1000, lines_total: 1000, window: 1m}",
        store: String? = nil
    ) -> String {
        """
        server:
          host: 127.0.0.1
          port: 0
          max_body_bytes: \(maxBody)
          max_header_bytes: 16KiB
          request_timeout: \(requestTimeout)
          idle_timeout: 30s
          drain_timeout: \(drainTimeout)
        \(extraServer)
        audit:
          path: \(auditPath)
          fsync: \(fsync)
          rotate_bytes: \(rotate)
          rejected: \(rejected)
        queue:
          capacity: \(capacity)
          workers: \(workers)
          retry_after: 2s
        retry: \(retry)
        \(store.map { "store: \($0)" } ?? "")
        sources:
        \(DemoConfiguration.sourcesYAML(secrets: (buildr: "BUILDR_WEBHOOK_SECRET", plannr: "PLANNR_SIGNING_SECRET", standard: "STANDARD_WEBHOOK_SECRET")))
        targets:
          - name: buildr
            kind: buildr
            base_url: \(targetBase)/buildr/api/2023-01
            token_url: \(targetBase)/buildr/oauth/token
            client_id: hookline-client
            client_secret: hookline-client-secret
            timeout: \(targetTimeout)
            rate_limit: \(rateLimits)
          - name: plannr
            kind: plannr
            base_url: \(targetBase)/plannr/api/v2
            token: plannr-token
            account_uuid: 0f3c7e1a-5b7d-4c2e-9a8f-1d2e3f4a5b6c
            timeout: \(targetTimeout)
            rate_limit: \(rateLimits)
          - name: omnichannel
            kind: omnichannel
            base_url: \(omnichannelBase ?? "\(targetBase)/omnichannel")
            api_key: omni-key
            timeout: \(targetTimeout)
        routes:
        \(routes ?? DemoConfiguration.routesYAML(plannrEvents: plannrEvents))
        """
    }

    package static func make(_ yaml: String) throws -> HooklineConfiguration {
        try ConfigurationLoader.load(yaml: yaml, file: "test.yaml", environment: environment)
    }
}

/// A directory under /tmp removed when the value is released.
package final class TemporaryDirectory: Sendable {
    package let path: String

    package init() throws {
        path = NSTemporaryDirectory() + "hookline-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        // A test's leftovers under the temporary directory; nothing to report if they stay.
        try? FileManager.default.removeItem(atPath: path)
    }

    package func file(_ name: String) -> String { "\(path)/\(name)" }
}

/// The repository's Fixtures/ folder.
package enum RepositoryFixtures {
    package static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    package static func catalog() throws -> FixtureCatalog { try FixtureCatalog(root: root) }

    package static func body(_ path: String) throws -> [UInt8] { try FileBytes.read("\(root)/\(path)") }
}
