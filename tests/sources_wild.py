"""Hand-written copies of Hugging Face pages as they reach us in the wild.

Written for these tests after the layouts of huggingface.co/papers/trending,
/papers/week/..., /papers/month/... and /papers/<id> (text copied from a browser,
and a web crawler's markdown capture).  Titles, names and summaries are invented.
"""

from __future__ import annotations

from sources_helpers import abstract

SUMMARY_1 = ("A hybrid-attention reasoning model with lightning attention cuts long-context compute by a "
             "factor of four while matching dense attention on software engineering tasks.")
SUMMARY_3 = "Small recursive networks solve Sudoku and maze benchmarks that defeat far larger language models."
TITLES = ["Lightning Attention Scales Reasoning Models to Million-Token Contexts",
          "Self-Correcting Code Agents with Verifier Feedback",
          "Tiny Recursive Models for Puzzles"]

TRENDING_TEXT = f"""Trending Papers

Get trending papers in your email inbox once a day!

Get trending papers in your email inbox!

Subscribe

by

AK

and the research community

Daily

Weekly

Monthly

Trending

Submitted by
mrlee
Upvote
98
{TITLES[0]}
{SUMMARY_1}
Northwind AI
·
Published on Jun 16, 2025
GitHub
2.38k
arXiv Page

Submitted by
jdoe
Upvote
41
{TITLES[1]}
{abstract(2)}
  • 12 authors
·
Published on Jun 12, 2025
GitHub
812
arXiv Page

Upvote
7
{TITLES[2]}
{SUMMARY_3}
  • 2 authors
·
Published on Jun 3
"""

TRENDING_MARKDOWN = f"""Title: Trending Papers - Hugging Face

URL Source: https://huggingface.co/papers/trending

Markdown Content:
# Trending Papers

Get trending papers in your email inbox once a day!

[Subscribe](https://huggingface.co/login?next=%2Fpapers%2Ftrending)

by [AK](https://huggingface.co/akhaliq) and the research community

[Daily](https://huggingface.co/papers) [Weekly](https://huggingface.co/papers/week/2025-W25) \
[Monthly](https://huggingface.co/papers/month/2025-06) [Trending](https://huggingface.co/papers/trending)

[![Image 1](https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2506.13585.png)](https://huggingface.co/papers/2506.13585)

Submitted by![Image 2](https://cdn-avatars.huggingface.co/v1/production/uploads/mrlee.png)mrlee

Upvote

98

### [{TITLES[0]}](https://huggingface.co/papers/2506.13585)

{SUMMARY_1}

[![Image 3](https://cdn-avatars.huggingface.co/northwind.png) Northwind AI](https://huggingface.co/NorthwindAI)

·

Published on Jun 16, 2025

[GitHub 2.38k](https://github.com/northwind/lightning)

[arXiv Page](https://arxiv.org/abs/2506.13585)

[![Image 4](https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2506.11002.png)](https://huggingface.co/papers/2506.11002)

Submitted by![Image 5](https://cdn-avatars.huggingface.co/v1/production/uploads/jdoe.png)jdoe

Upvote

41

### [{TITLES[1]}](https://huggingface.co/papers/2506.11002)

{abstract(2)}

*   ![Image 6](https://cdn-avatars.huggingface.co/a.png)
*   ![Image 7](https://cdn-avatars.huggingface.co/b.png)
*   12 authors

·

Published on Jun 12, 2025

[GitHub 812](https://github.com/jdoe/selfcorrect)

[arXiv Page](https://arxiv.org/abs/2506.11002)

Upvote

7

### [{TITLES[2]}](https://huggingface.co/papers/2506.01003)

{SUMMARY_3}

*   2 authors

·

Published on Jun 3

* * *

[System theme](https://huggingface.co/papers/trending#)

Company

[TOS](https://huggingface.co/terms-of-service) [Privacy](https://huggingface.co/privacy) [About](https://huggingface.co/huggingface)
"""

WEEK_TEXT = f"""Daily Papers

by AK and the research community

Week 25, 2025

Daily
Weekly
Monthly

Submitted by nielsr

64

{TITLES[1]}

{abstract(2)}

  • 12 authors
·
Jun 12, 2025

Submitted by akhaliq

12

Curriculum Distillation
for Small Vision-Language Models

{abstract(4)}

  • 5 authors
·
Jun 10, 2025
"""

MONTH_TEXT = WEEK_TEXT.replace("Week 25, 2025", "June 2025").replace("Daily Papers", "Monthly Papers")

PAPER_TEXT = f"""Papers
arxiv:2506.13585

{TITLES[0]}

Published on Jun 16, 2025
·
Submitted by
mrlee
on Jun 17
#1 Paper of the day
Upvote
98
Authors:
Mira Castellanos
,
Tobias Brandt
,
Yuki Sato
Abstract
AI-generated summary
{SUMMARY_1}
{abstract(1)}
View arXiv page
View PDF
GitHub
2.38k
Add to collection
Community
Models citing this paper 3
Datasets citing this paper 0
"""

PAPER_MARKDOWN = f"""Title: Paper page - {TITLES[0]}

URL Source: https://huggingface.co/papers/2506.13585

Markdown Content:
[Papers](https://huggingface.co/papers)

[arxiv:2506.13585](https://arxiv.org/abs/2506.13585)

# {TITLES[0]}

Published on Jun 16, 2025

·

Submitted by![Image 1](https://cdn-avatars.huggingface.co/mrlee.png)[mrlee](https://huggingface.co/mrlee) on Jun 17

Upvote

98

Authors:

[Mira Castellanos](https://huggingface.co/mira), [Tobias Brandt](https://huggingface.co/tob), Yuki Sato

## Abstract

AI-generated summary

{SUMMARY_1}

{abstract(1)}

[View arXiv page](https://arxiv.org/abs/2506.13585)[View PDF](https://arxiv.org/pdf/2506.13585)
"""
