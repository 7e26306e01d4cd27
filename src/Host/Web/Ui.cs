namespace AomoriReform.Host.Web;

/// <summary>
/// The UI's texts. A key is the Japanese text itself (the default language); English comes from
/// <c>Ui.en.resx</c> beside this file. A test checks that every key the pages use has its English.
/// </summary>
public sealed class Ui;
