// artoiscast embed: fits its iframe (tells the parent page its height), light/dark.
