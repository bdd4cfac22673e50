"""The header on a phone: a principal has a dozen pages to reach; they stay one swipe away
without pushing the page below the fold."""

from __future__ import annotations

from .playwright_expect import expect


def test_the_page_links_are_one_row_that_scrolls_and_shows_the_current_page(serve, phone):
    site = serve()
    page = phone(site, "principal")
    nav = page.locator("header.top nav.main")
    links = nav.get_by_role("link")
    assert links.count() >= 8  # enough that wrapping them took five rows
    header = page.evaluate("document.querySelector('header.top').offsetHeight")
    assert header <= 160, f"the header is {header}px high"
    rows = page.evaluate(
        "new Set([...document.querySelectorAll('header.top nav.main a')]"
        ".map(a => a.offsetTop)).size"
    )
    assert rows == 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px"
    # the last page is reached by the row, and once there its link is in view
    last = links.last
    name = last.inner_text()
    last.click()
    current = nav.locator("a.active")
    expect(current).to_have_text(name)
    # the page's script scrolls the row once the page has loaded: wait for it, not a moment
    expect(current).to_be_in_viewport(ratio=1)
    box, frame = current.bounding_box(), nav.bounding_box()
    assert box and frame
    assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"]
