"""The web site: public pages, the web chat and the officers desk (see `bot.web.site`)."""
