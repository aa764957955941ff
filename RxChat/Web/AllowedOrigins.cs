using System.Collections.Immutable;

namespace RxChat.Web;

/// <summary>
/// The origins whose pages may open the web door's WebSocket (PROTOCOL.md, Doors, Web door): the page's own origin
/// (the scheme and <c>Host</c> of the upgrade request itself), plus those of <see cref="ChatServerOptions.HttpAllowedOrigins"/>.
/// A browser always sends <c>Origin</c> with a WebSocket upgrade, so a page from anywhere else is refused (cross-site
/// WebSocket hijacking); a client that is not a browser sends none, and is let in: it could send any origin it liked.
/// Origins compare as RFC 6454 serialises them: scheme and host in lower case, the port only when it is not the
/// scheme's default (<c>http://Example.com:80</c> is <c>http://example.com</c>).
/// </summary>
internal sealed class AllowedOrigins
{
    private readonly ImmutableHashSet<string> _others;

    private AllowedOrigins(ImmutableHashSet<string> others) => _others = others;

    /// <summary>The other origins allowed, serialised, in no particular order.</summary>
    public IReadOnlyCollection<string> Others => _others;

    /// <summary>
    /// Reads a list of origins separated by commas or spaces (<c>https://chat.example.com, http://localhost:3000</c>);
    /// null or blank: none.
    /// </summary>
    /// <exception cref="FormatException">An entry is not an <c>http</c> or <c>https</c> origin (scheme, host, optional port; no path, query or user).</exception>
    public static AllowedOrigins Parse(string? list)
    {
        var origins = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var entry in (list ?? "").Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            origins.Add(Serialise(entry) ?? throw new FormatException(
                $"'{entry}' is not an origin (scheme://host or scheme://host:port, http or https, e.g. https://chat.example.com)"));
        }

        return new AllowedOrigins(origins.ToImmutable());
    }

    /// <summary>
    /// Whether a WebSocket upgrade with <paramref name="origin"/> (its <c>Origin</c> header; null when absent) may be
    /// accepted by a server reached as <paramref name="scheme"/>://<paramref name="host"/> (the request's own).
    /// </summary>
    public bool Allows(string? origin, string scheme, string host)
    {
        if (origin is null)
        {
            return true;
        }

        return Serialise(origin) is { } serialised && (serialised == Serialise($"{scheme}://{host}") || _others.Contains(serialised));
    }

    // An origin as RFC 6454 serialises it, or null when the text is not an http(s) origin.
    private static string? Serialise(string text)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.AbsolutePath != "/")
        {
            return null;
        }

        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host : uri.IdnHost;
        return uri.IsDefaultPort
            ? $"{uri.Scheme}://{host.ToLowerInvariant()}"
            : $"{uri.Scheme}://{host.ToLowerInvariant()}:{uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    }
}
