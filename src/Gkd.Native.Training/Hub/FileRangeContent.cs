using System.Net;

namespace Gkd.Native.Training.Hub;

/// <summary>
/// Bytes [offset, offset + count) of a file as a request body, streamed from disk with a known Content-Length (S3
/// pre-signed PUTs refuse chunked bodies). The file is opened anew on each send, so a request the handler retries
/// re-reads its bytes from the start.
/// </summary>
internal sealed class FileRangeContent(string path, long offset, long count) : HttpContent
{
    private const int CopyBuffer = 1 << 20;

    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        using var file = Open();
        var buffer = NewBuffer();
        for (var left = count; left > 0;)
        {
            var n = Checked(file.Read(buffer, 0, (int)Math.Min(buffer.Length, left)));
            stream.Write(buffer, 0, n);
            left -= n;
        }
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await using var file = Open();
        var buffer = NewBuffer();
        for (var left = count; left > 0;)
        {
            var n = Checked(await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken));
            await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
            left -= n;
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = count;
        return true;
    }

    private FileStream Open()
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        file.Seek(offset, SeekOrigin.Begin);
        return file;
    }

    private byte[] NewBuffer() => new byte[Math.Clamp(count, 1, CopyBuffer)];

    /// <summary>n, unless the file ended early — it changed since it was hashed, and the body would not match its oid.</summary>
    private int Checked(int n) => n > 0 ? n : throw new IOException($"{path} ended before byte {offset + count:N0}; was it changed during the upload?");
}
