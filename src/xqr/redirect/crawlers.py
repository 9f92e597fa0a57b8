"""The link-preview crawlers that get a link's social preview page instead of its redirect.

Chat apps and social networks fetch a shared URL to draw a card; they read Open Graph and
Twitter card tags and do not follow a redirect's destination the way people do. Matched
case-insensitively anywhere in the User-Agent (iMessage and Teams announce themselves as
facebookexternalhit / SkypeUriPreview). Search engine crawlers and in-app browsers are not
listed: they get the redirect, as people do.
"""

from __future__ import annotations

import re

PREVIEW_CRAWLERS = (
    "Slackbot",  # Slackbot-LinkExpanding 1.0
    "Slack-ImgProxy",
    "Twitterbot",
    "facebookexternalhit",
    "Facebot",
    "WhatsApp",
    "LinkedInBot",
    "Discordbot",
    "TelegramBot",
    "SkypeUriPreview",
    "Pinterestbot",
    "redditbot",
    "Mastodon",
    "Iframely",
    "Embedly",
    "vkShare",
    "Google-PageRenderer",  # Google Chat and Docs link previews
)

_PATTERN = re.compile("|".join(re.escape(name.lower()) for name in PREVIEW_CRAWLERS))


def is_preview_crawler(user_agent: str) -> bool:
    return _PATTERN.search(user_agent.lower()) is not None
