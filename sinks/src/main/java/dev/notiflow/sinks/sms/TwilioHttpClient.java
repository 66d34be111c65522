package dev.notiflow.sinks.sms;

import com.twilio.http.NetworkHttpClient;
import com.twilio.http.Request;
import com.twilio.http.Response;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.Timeout;

import java.net.URI;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

/**
 * twilio-java's HTTP client, adapted for a pipeline:
 *
 * <ul>
 *   <li>every request is rebuilt against a configurable base URL (twilio-java has none), so a local
 *       server can stand in for {@code api.twilio.com} by configuration alone;
 *   <li>one attempt per send: twilio-java retries 5xx three times with a sleep on the calling
 *       thread, but the job has its own retry topic with backoff and jitter;
 *   <li>explicit connect, response and pool-wait timeouts (twilio-java sets a 30.5 s connect
 *       timeout per request; an exec interceptor puts ours back) and no automatic retries;
 *   <li>the status and {@code Retry-After} of the last response on the calling thread, which {@code
 *       ApiException} does not carry.
 * </ul>
 *
 * <p>Thread-safe: the Apache client is pooled and the last response is kept per thread.
 */
final class TwilioHttpClient extends NetworkHttpClient {

    /** What the last response on this thread said, for error classification. */
    record LastResponse(int status, Long retryAfterMillis) {}

    private final String baseUrl;
    private final ThreadLocal<LastResponse> last = new ThreadLocal<>();

    private TwilioHttpClient(String baseUrl, HttpClientBuilder builder) {
        super(builder);
        this.baseUrl = baseUrl;
    }

    static TwilioHttpClient create(
            String baseUrl, Duration connectTimeout, Duration readTimeout, int maxConnections) {
        Timeout connect = Timeout.ofMilliseconds(connectTimeout.toMillis());
        Timeout read = Timeout.ofMilliseconds(readTimeout.toMillis());
        PoolingHttpClientConnectionManager pool =
                PoolingHttpClientConnectionManagerBuilder.create()
                        .setMaxConnTotal(maxConnections)
                        .setMaxConnPerRoute(maxConnections)
                        .setDefaultSocketConfig(
                                SocketConfig.custom()
                                        .setSoTimeout(read)
                                        .setSoKeepAlive(true)
                                        .setTcpNoDelay(true)
                                        .build())
                        .setDefaultConnectionConfig(
                                ConnectionConfig.custom()
                                        .setConnectTimeout(connect)
                                        .setSocketTimeout(read)
                                        .build())
                        .build();
        RequestConfig requestConfig = requestConfig(connect, read);
        HttpClientBuilder builder =
                HttpClientBuilder.create()
                        .setConnectionManager(pool)
                        .setDefaultRequestConfig(requestConfig)
                        .disableAutomaticRetries()
                        .addExecInterceptorFirst(
                                "notiflow-timeouts",
                                (request, scope, chain) -> {
                                    scope.clientContext.setRequestConfig(requestConfig);
                                    return chain.proceed(request, scope);
                                });
        return new TwilioHttpClient(baseUrl, builder);
    }

    @SuppressWarnings("deprecation")
    private static RequestConfig requestConfig(Timeout connect, Timeout read) {
        // setConnectTimeout is deprecated in favour of ConnectionConfig, but a request-level
        // value wins over it, and twilio-java sets one on every request: override it here too.
        return RequestConfig.custom()
                .setConnectTimeout(connect)
                .setConnectionRequestTimeout(connect)
                .setResponseTimeout(read)
                .build();
    }

    /** Forgets the last response of this thread; call before a send. */
    void resetLast() {
        last.remove();
    }

    /** The last response on this thread since {@link #resetLast()}, or {@code null}. */
    LastResponse lastResponse() {
        return last.get();
    }

    @Override
    public Response reliableRequest(Request request) {
        return makeRequest(request);
    }

    @Override
    public Response reliableRequest(
            Request request, int[] retryCodes, int retries, long delayMillis) {
        return makeRequest(request);
    }

    @Override
    public Response makeRequest(Request request) {
        Response response = super.makeRequest(rebase(request));
        if (response != null) {
            last.set(
                    new LastResponse(
                            response.getStatusCode(), retryAfterMillis(response.getHeaders())));
        }
        return response;
    }

    void close() {
        client.close(CloseMode.GRACEFUL);
    }

    private Request rebase(Request original) {
        URI uri = URI.create(original.getUrl());
        String target = baseUrl + uri.getRawPath();
        Request copy =
                new Request(original.getMethod(), target) {
                    @Override
                    protected String buildURL() {
                        return target;
                    }
                };
        if (original.getUsername() != null && original.getPassword() != null) {
            copy.setAuth(original.getUsername(), original.getPassword());
        } else if (original.getAuthStrategy() != null) {
            copy.setAuth(original.getAuthStrategy());
        }
        copy.setContentType(original.getContentType());
        copy.setBody(original.getBody());
        copy.setUserAgentExtensions(original.getUserAgentExtensions());
        copyParams(original.getQueryParams(), copy::addQueryParam);
        copyParams(original.getPostParams(), copy::addPostParam);
        copyParams(original.getHeaderParams(), copy::addHeaderParam);
        if (!original.getFormParameters().isEmpty()) {
            copy.setFormParameters(original.getFormParameters());
        }
        return copy;
    }

    private interface ParamSink {
        void add(String name, String value);
    }

    private static void copyParams(Map<String, List<String>> params, ParamSink sink) {
        for (Map.Entry<String, List<String>> e : params.entrySet()) {
            for (String value : e.getValue()) {
                sink.add(e.getKey(), value);
            }
        }
    }

    /** Retry-After in delta-seconds or HTTP-date form, as millis; {@code null} if absent. */
    static Long retryAfterMillis(Header[] headers) {
        if (headers == null) {
            return null;
        }
        for (Header h : headers) {
            if (!"Retry-After".equalsIgnoreCase(h.getName()) || h.getValue() == null) {
                continue;
            }
            String value = h.getValue().trim();
            try {
                return Math.max(0, Long.parseLong(value)) * 1000L;
            } catch (NumberFormatException notSeconds) {
                try {
                    ZonedDateTime at =
                            ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
                    return Math.max(0, Duration.between(ZonedDateTime.now(), at).toMillis());
                } catch (RuntimeException notDate) {
                    return null;
                }
            }
        }
        return null;
    }
}
