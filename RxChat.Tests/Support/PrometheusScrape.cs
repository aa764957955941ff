using System.Globalization;
using System.Text.RegularExpressions;

namespace RxChat.Tests.Support;

/// <summary>
/// A real node's <c>/metrics</c> (it was started with <c>--http-port</c>), in the Prometheus text format as
/// OpenTelemetry's exporter writes it: <c>rxchat.room.lost</c> is <c>rxchat_room_lost_total</c>, a gauge keeps its
/// name with underscores.
/// </summary>
internal static partial class PrometheusScrape
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>The node's <c>/metrics</c> now.</summary>
    public static async Task<string> ScrapeAsync(HostProcess node)
    {
        var web = await node.ListeningHttpAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        return await Http.GetStringAsync(new Uri(web, "/metrics")).ConfigureAwait(false);
    }

    /// <summary>
    /// The value of the one sample of <paramref name="name"/> (whatever its labels); null when there is none, as for a
    /// counter that was never added to (the exporter writes only instruments that have measured something).
    /// </summary>
    public static double? Value(string metrics, string name)
    {
        var samples = metrics.Split('\n').Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal)).ToList();
        return samples switch
        {
            [] => null,
            [var sample] => double.Parse(Sample().Match(sample).Groups[1].Value, CultureInfo.InvariantCulture),
            _ => throw new InvalidOperationException($"{name} has {samples.Count} samples: {string.Join(" | ", samples)}"),
        };
    }

    /// <summary>The value of <paramref name="name"/> on the node now (null: no sample).</summary>
    public static async Task<double?> ValueAsync(HostProcess node, string name) => Value(await ScrapeAsync(node).ConfigureAwait(false), name);

    // "NAME{LABELS} VALUE" or "NAME VALUE", with a timestamp or without.
    [GeneratedRegex(@"\s(\S+)(\s\d+)?$")]
    private static partial Regex Sample();
}
