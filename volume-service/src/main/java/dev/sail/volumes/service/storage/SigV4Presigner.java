package dev.sail.volumes.service.storage;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * Presigned S3 URLs with AWS Signature Version 4 in the query string, computed directly for one
 * object key. The AWS SDK's presigner runs its endpoint rules and interceptors for every URL (a
 * quarter of a millisecond each), which dominated upload plans of thousands of small chunks; the
 * signature itself is one SHA-256 and one HMAC once the day's signing key is known, and that key is
 * cached.
 *
 * <p>The object URLs come from a base that the caller resolved once (the SDK's own URL for the
 * bucket, so path-style and virtual-host addressing and custom endpoints stay the SDK's decision).
 * The payload is {@code UNSIGNED-PAYLOAD}; extra headers (such as {@code x-amz-checksum-sha256})
 * are signed, so the request must carry them with exactly these values.
 *
 * <p>Thread-safe.
 */
final class SigV4Presigner {
    private static final String ALGORITHM = "AWS4-HMAC-SHA256";
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private static final HexFormat HEX = HexFormat.of();

    /** The day's signing key for one secret; replaced when the day or the credentials change. */
    private record SigningKey(String secret, String dateStamp, byte[] key) {
    }

    private final URI base;
    private final String host;
    private final String region;
    private final AwsCredentialsProvider credentials;
    private final Clock clock;
    private volatile SigningKey signingKey;

    /**
     * @param base        the URL of an object whose key is empty: {@code base + encodedKey} is an object's URL
     * @param region      the signing region
     * @param credentials resolved on every call (providers cache and refresh their own credentials)
     */
    SigV4Presigner(URI base, String region, AwsCredentialsProvider credentials, Clock clock) {
        this.base = Objects.requireNonNull(base, "base");
        this.host = base.getRawAuthority();
        this.region = Objects.requireNonNull(region, "region");
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (host == null || base.getRawQuery() != null) {
            throw new IllegalArgumentException("Cannot presign under " + base.getScheme() + "://" + host
                    + ": an object base needs a host and no query");
        }
    }

    /**
     * A presigned URL for {@code method} on {@code key}, valid for {@code expiry}, with {@code headers}
     * (lower-case names) signed.
     */
    URI presign(String method, String key, Duration expiry, Map<String, String> headers) {
        AwsCredentials resolved = credentials.resolveCredentials();
        ZonedDateTime now = clock.instant().atZone(ZoneOffset.UTC);
        String amzDate = AMZ_DATE.format(now);
        String dateStamp = amzDate.substring(0, 8);
        String scope = dateStamp + "/" + region + "/s3/aws4_request";

        TreeMap<String, String> signedHeaders = new TreeMap<>();
        signedHeaders.put("host", host);
        headers.forEach((name, value) -> signedHeaders.put(name.toLowerCase(Locale.ROOT), value.trim()));
        String signedHeaderNames = String.join(";", signedHeaders.keySet());

        TreeMap<String, String> query = new TreeMap<>();
        query.put("X-Amz-Algorithm", ALGORITHM);
        query.put("X-Amz-Credential", resolved.accessKeyId() + "/" + scope);
        query.put("X-Amz-Date", amzDate);
        query.put("X-Amz-Expires", Long.toString(expiry.toSeconds()));
        query.put("X-Amz-SignedHeaders", signedHeaderNames);
        if (resolved instanceof AwsSessionCredentials session) {
            query.put("X-Amz-Security-Token", session.sessionToken());
        }
        StringBuilder canonicalQuery = new StringBuilder();
        query.forEach((name, value) -> {
            if (!canonicalQuery.isEmpty()) {
                canonicalQuery.append('&');
            }
            canonicalQuery.append(encode(name, true)).append('=').append(encode(value, true));
        });

        String path = base.getRawPath() + encode(key, false);
        StringBuilder canonical = new StringBuilder(512)
                .append(method).append('\n')
                .append(path).append('\n')
                .append(canonicalQuery).append('\n');
        signedHeaders.forEach((name, value) -> canonical.append(name).append(':').append(value).append('\n'));
        canonical.append('\n').append(signedHeaderNames).append('\n').append("UNSIGNED-PAYLOAD");

        String stringToSign = ALGORITHM + "\n" + amzDate + "\n" + scope + "\n" + HEX.formatHex(sha256(canonical.toString()));
        String signature = HEX.formatHex(hmac(signingKey(resolved.secretAccessKey(), dateStamp), stringToSign));
        return URI.create(base.getScheme() + "://" + host + path + "?" + canonicalQuery + "&X-Amz-Signature=" + signature);
    }

    private byte[] signingKey(String secret, String dateStamp) {
        SigningKey cached = signingKey;
        if (cached != null && cached.dateStamp().equals(dateStamp) && cached.secret().equals(secret)) {
            return cached.key();
        }
        byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), dateStamp);
        key = hmac(key, region);
        key = hmac(key, "s3");
        key = hmac(key, "aws4_request");
        signingKey = new SigningKey(secret, dateStamp, key);
        return key;
    }

    /** RFC 3986 percent-encoding as SigV4 wants it: unreserved characters stay, '/' stays in paths. */
    static String encode(String value, boolean encodeSlash) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(bytes.length + 16);
        for (byte b : bytes) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash)) {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JDK has SHA-256", e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("Every JDK has HmacSHA256", e);
        }
    }
}
