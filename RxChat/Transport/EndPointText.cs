using System.Net;

namespace RxChat.Transport;

/// <summary>Writes an address as Go's <c>net.Addr.String()</c> does (PROTOCOL.md, Entering).</summary>
public static class EndPointText
{
    /// <summary>
    /// <c>127.0.0.1:5000</c> for IPv4 and IPv4-mapped IPv6, <c>[::1]:5000</c> for IPv6; other end points as
    /// their <c>ToString()</c>.
    /// </summary>
    /// <param name="endPoint">An end point; null gives <c>unknown</c>.</param>
    public static string Format(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip when ip.Address.IsIPv4MappedToIPv6 => new IPEndPoint(ip.Address.MapToIPv4(), ip.Port).ToString(),
        IPEndPoint ip => ip.ToString(),
        null => "unknown",
        _ => endPoint.ToString() ?? "unknown",
    };
}
