// artoiscast pages: copy the feed URL, search.
