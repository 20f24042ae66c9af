import Foundation

/// The rows of the suite, in the order they run and print.
enum BenchRow: Int, CaseIterable, Codable, Sendable {
    case consume = 1
    case publish
    case http
    case relay
    case coldBacklog
    case latency
    case rss
    case backfill
    case backfillRate
    case refereeRestore
    case outage
    case farBrokers
    case wideWindow

    /// The short name accepted by `--only` (the number works too).
    var name: String {
        switch self {
        case .consume: "consume"
        case .publish: "publish"
        case .http: "http"
        case .relay: "relay"
        case .coldBacklog: "cold"
        case .latency: "latency"
        case .rss: "rss"
        case .backfill: "backfill"
        case .backfillRate: "backfill-rate"
        case .refereeRestore: "referees"
        case .outage: "outage"
        case .farBrokers: "far"
        case .wideWindow: "wide"
        }
    }

    /// The stage column of the table.
    var stage: String {
        switch self {
        case .consume: "1 consume only"
        case .publish: "2 publish"
        case .http: "3 HTTP"
        case .relay: "4 whole relay"
        case .coldBacklog: "5 cold backlog"
        case .latency: "6 latency"
        case .rss: "7 RSS"
        case .backfill: "8 backfill"
        case .backfillRate: "9 backfill --rate"
        case .refereeRestore: "10 referee restore"
        case .outage: "11 outage"
        case .farBrokers: "12 far brokers"
        case .wideWindow: "13 wide window"
        }
    }

    /// Parses `--only`: comma-separated numbers or names.
    ///
    /// - Throws: ``BenchError`` naming an unknown entry.
    static func parse(_ list: String) throws -> [BenchRow] {
        try list.split(separator: ",").map { entry in
            let text = entry.trimmingCharacters(in: .whitespaces)
            if let number = Int(text), let row = BenchRow(rawValue: number) { return row }
            if let row = BenchRow.allCases.first(where: { $0.name == text }) { return row }
            throw BenchError(
                "unknown row '\(text)' (rows: 1-\(BenchRow.allCases.count) or \(BenchRow.allCases.map(\.name).joined(separator: ",")))"
            )
        }
    }
}
