namespace AomoriReform.Workflows.Outcomes;

/// <summary>One page of a list: which page (from 1) and how many rows.</summary>
public readonly record struct Paging(int Page, int Size)
{
    /// <summary>Keeps (page - 1) * size far inside an int on every provider.</summary>
    public const int MaxPage = 100_000;

    public const int MaxSize = 500;

    public int Skip => (Page - 1) * Size;

    /// <summary>The page asked for, with the list's default size; out of range names the field.</summary>
    public static Outcome<Paging> Of(int? page, int? size, int defaultSize) =>
        page is < 1 or > MaxPage ? Outcome.Invalid("page", $"must be between 1 and {MaxPage}")
        : size is < 1 or > MaxSize ? Outcome.Invalid("pageSize", $"must be between 1 and {MaxSize}")
        : Outcome.Ok(new Paging(page ?? 1, size ?? defaultSize));
}

/// <summary>One page of rows and how many there are in all.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int Total);
