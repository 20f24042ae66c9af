// swift-tools-version: 6.2
import PackageDescription

/// Every target of ours is built in the Swift 6 language mode with warnings as errors.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "referral-relay",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "referral-relay", targets: ["ReferralRelayCLI"]),
        .executable(name: "referral-relay-bench", targets: ["RelayBench"]),
        .library(name: "ReferralKit", targets: ["ReferralKit"]),
        .library(name: "Kafka", targets: ["Kafka"]),
        // For the fuzzers' package (`fuzz/Package.swift`), which depends on this one by path.
        .library(name: "Relay", targets: ["Relay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // The referee store's local copy: SQLite (Debian's libsqlite3-dev) through GRDB.
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // Tracing: the W3C trace context API, and swift-otel's OTLP/HTTP exporter only (its gRPC
        // exporter, the default trait, would build grpc-swift and double CI's clean build).
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-service-context.git", from: "1.5.1"),
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // The C boundary: librdkafka 2.0.2 from Debian's librdkafka-dev, mock cluster header included.
        .systemLibrary(
            name: "CRDKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // Swift binding over librdkafka; knows nothing of referrals.
        .target(
            name: "Kafka",
            dependencies: [
                "CRDKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The MMOLove referral SDK; knows nothing of Kafka.
        .target(
            name: "ReferralKit",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict
        ),
        // A local MMOLove endpoint; shares the contract types with the SDK, never the relay's code.
        .target(
            name: "ReferralSandbox",
            dependencies: [
                "ReferralKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The relay service: Kafka in, signed referral events out, outcomes published.
        .target(
            name: "Relay",
            dependencies: [
                "Kafka",
                "ReferralKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceContextModule", package: "swift-service-context"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        // The thin `referral-relay` executable: parses the command line and runs services.
        .executableTarget(
            name: "ReferralRelayCLI",
            dependencies: [
                "Kafka",
                "ReferralKit",
                "ReferralSandbox",
                "Relay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The benchmark suite (`scripts/bench`): the relay and its ceilings on the embedded broker.
        .executableTarget(
            name: "RelayBench",
            dependencies: [
                "Kafka",
                "ReferralKit",
                "ReferralSandbox",
                "Relay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Fixtures more than one test target needs (a regular target: test targets cannot depend
        // on each other). Never a product; only test targets depend on it.
        .target(
            name: "TestSupport",
            dependencies: ["Kafka"],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "ReferralKitTests",
            dependencies: [
                "ReferralKit",
                "TestSupport",
                // The connection pool's loopback server (plain and TLS).
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            // The signing vectors are read by path (relative to #filePath), not as a resource.
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ReferralSandboxTests",
            dependencies: [
                "ReferralKit",
                "ReferralSandbox",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        // The benchmark's own parts (the instant sink's request framing, the outcomes' tally), with
        // plain values.
        .testTarget(
            name: "RelayBenchTests",
            dependencies: ["RelayBench"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaTests",
            dependencies: [
                "Kafka",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The relay's parts over real loopback: embedded broker, in-process sandbox, real HTTP.
        .testTarget(
            name: "RelayTests",
            dependencies: [
                "Kafka",
                "ReferralKit",
                "ReferralSandbox",
                "Relay",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Whole-process tests: they run the built `referral-relay` executable.
        .testTarget(
            name: "ReferralRelayCLITests",
            dependencies: [
                "Kafka",
                "ReferralKit",
                "ReferralRelayCLI",
                "ReferralSandbox",
                "Relay",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // The in-test OTLP/HTTP receiver of the tracing test.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
    ]
)
