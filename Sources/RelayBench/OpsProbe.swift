import AsyncHTTPClient
import Foundation
import NIOCore

/// Reads a relay's ops endpoints over loopback: `/readyz` and counters from `/metrics`.
struct OpsProbe: Sendable {
    /// The client the probe uses (the benchmark's shared one).
    let httpClient: HTTPClient
    /// The relay's ops port.
    let port: Int

    /// Whether `/readyz` answers 200 (the member joined its group).
    func isReady() async -> Bool {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(self.port)/readyz")
        request.method = .GET
        guard let response = try? await self.httpClient.execute(request, timeout: .seconds(2)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return response.status == .ok
    }

    /// Waits until `/readyz` answers 200.
    ///
    /// - Throws: ``BenchError`` when it does not within `timeout`.
    func waitUntilReady(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await self.isReady() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("the relay did not become ready within \(timeout)")
    }

    /// The sum over all label sets of each metric in `names`, from one scrape.
    ///
    /// - Throws: When `/metrics` cannot be read.
    func sums(_ names: [String]) async throws -> [String: Double] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(self.port)/metrics")
        request.method = .GET
        let response = try await self.httpClient.execute(request, timeout: .seconds(5))
        let text = String(buffer: try await response.body.collect(upTo: 16 << 20))
        return Self.sums(names, in: text)
    }

    /// Sums the samples of each metric in `names` in a Prometheus text exposition.
    static func sums(_ names: [String], in text: String) -> [String: Double] {
        var result = Dictionary(uniqueKeysWithValues: names.map { ($0, 0.0) })
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let nameEnd = line.firstIndex { $0 == "{" || $0 == " " } ?? line.endIndex
            let name = String(line[..<nameEnd])
            guard result[name] != nil, let valueStart = line.lastIndex(of: " ") else { continue }
            result[name, default: 0] += Double(line[line.index(after: valueStart)...]) ?? 0
        }
        return result
    }
}
