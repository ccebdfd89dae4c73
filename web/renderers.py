"""The browsable API's renderer, which offers no form that the permissions would refuse."""

from rest_framework import renderers

# The context entries that hold the HTML and raw-data forms (and the DELETE button).
_FORMS = (
    "put_form",
    "post_form",
    "delete_form",
    "raw_data_put_form",
    "raw_data_post_form",
    "raw_data_patch_form",
    "raw_data_put_or_patch_form",
)


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API, without forms on a page that the caller was refused.

    DRF checks the object permission only when the response carries the object. On a 403 (for
    example another user's purchase, which IsOwner refuses) there is none, so it checked only
    the view's permissions and offered PUT and DELETE forms that could only fail. Its template
    adds this project's name and a Log out that works under the Content-Security-Policy.
    """

    template = "web/api.html"

    def get_context(self, data, accepted_media_type: str, renderer_context: dict) -> dict:
        context = super().get_context(data, accepted_media_type, renderer_context)
        if renderer_context["response"].status_code in (401, 403, 404):
            context.update(dict.fromkeys(_FORMS))
        return context
